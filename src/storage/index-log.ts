// The store's own index: an append-only log of the metadata of each version added and the ids
// removed, so a start with 100,000 versions reads one file instead of 100,000. It is derived: the
// version files are the truth, the start checks the log against them, and a lost or torn log only
// costs a slower start. Appends are not fsynced for the same reason. A symbolic link in its place
// is never read or appended through (no-follow.ts): it is reported, and the next compaction
// replaces the link itself with the log.
import { closeSync, openSync, readSync } from 'node:fs'
import { open, rename, unlink, type FileHandle } from 'node:fs/promises'
import { replacementTempFile } from './durable-file.js'
import { APPEND, CREATE_OR_REPLACE, FILE_MODE, isLinkRefusal, READ } from './no-follow.js'
import type { VersionMeta } from './types.js'

type IndexRecord = { add: VersionMeta } | { del: string[] }

export interface IndexSnapshot {
  entries: Map<string, VersionMeta>
  /** Lines in the log, to decide when it is worth compacting. */
  lines: number
  /** A line could not be read (a torn append): the log should be rewritten. */
  torn: boolean
  /** The log's name held a symbolic link, which was not read. */
  link?: boolean
}

/** Bytes read at a time: the log is parsed a piece at a time, never held whole as one string. */
const READ_CHUNK_BYTES = 1 << 20
const NEWLINE = 0x0a

/** Reads the log; `keep` turns each entry into the form it is kept in (compact-meta.ts). */
export async function readIndex (path: string, keep: (meta: VersionMeta) => VersionMeta = (meta) => meta): Promise<IndexSnapshot> {
  const entries = new Map<string, VersionMeta>()
  let fd: number
  try {
    fd = openSync(path, READ)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries, lines: 0, torn: false }
    if (isLinkRefusal(error)) return { entries, lines: 0, torn: true, link: true }
    throw error
  }
  let lines = 0
  let torn = false
  const readLine = (text: string): void => {
    if (text === '') return
    lines++
    try {
      const record = JSON.parse(text) as IndexRecord
      // An entry of an older format (no reset texts) is left unknown, so its file is read again.
      if ('add' in record) {
        if (record.add.resetsIn === undefined) torn = true
        else entries.set(record.add.id, keep(record.add))
      } else for (const id of record.del) entries.delete(id)
    } catch {
      torn = true
    }
  }
  // Read synchronously and in pieces: the start serves nothing yet, and holding a 100,000-line log
  // as one string (with its lines split out beside it) raised the start's peak memory by ~50 MB.
  try {
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES)
    let carry: Buffer | null = null
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null)
      if (read === 0) break
      let buffer: Buffer = chunk.subarray(0, read)
      if (carry !== null) buffer = Buffer.concat([carry, buffer])
      let start = 0
      for (let end = buffer.indexOf(NEWLINE, start); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
        readLine(buffer.toString('utf8', start, end))
        start = end + 1
      }
      // A line longer than a chunk is carried over whole; copy it, as the chunk is reused.
      carry = start < buffer.length ? Buffer.from(buffer.subarray(start)) : null
    }
    if (carry !== null) readLine(carry.toString('utf8'))
  } finally {
    closeSync(fd)
  }
  return { entries, lines, torn }
}

const toLines = (records: IndexRecord[]): string => records.map((record) => `${JSON.stringify(record)}\n`).join('')

export class IndexLog {
  readonly #path: string
  #lines: number
  #handle: FileHandle | null = null
  /** Appends and rewrites run one after another, in the order they were asked for. */
  #queue: Promise<void> = Promise.resolve()
  readonly #onError: (error: unknown) => void

  constructor (path: string, lines: number, onError: (error: unknown) => void) {
    this.#path = path
    this.#lines = lines
    this.#onError = onError
  }

  get lines (): number {
    return this.#lines
  }

  added (versions: VersionMeta[]): void {
    this.#append(versions.map((add) => ({ add })))
  }

  removed (ids: string[]): void {
    if (ids.length > 0) this.#append([{ del: ids }])
  }

  /** Replaces the log by one `add` line per live version. */
  compact (versions: readonly VersionMeta[]): Promise<void> {
    return this.#enqueue(async () => {
      await this.#closeHandle()
      // Replaced atomically through a temporary file; being derived, it needs no fsync.
      const temp = replacementTempFile(this.#path)
      const handle = await open(temp, CREATE_OR_REPLACE, FILE_MODE)
      try {
        await handle.writeFile(toLines(versions.map((add) => ({ add }))))
      } finally {
        await handle.close()
      }
      await rename(temp, this.#path).catch(async (error: unknown) => {
        await unlink(temp).catch(() => {})
        throw error
      })
      this.#lines = versions.length
    })
  }

  async close (): Promise<void> {
    await this.#enqueue(() => this.#closeHandle())
  }

  #append (records: IndexRecord[]): void {
    this.#lines += records.length
    void this.#enqueue(async () => {
      this.#handle ??= await open(this.#path, APPEND, FILE_MODE)
      await this.#handle.write(toLines(records))
    })
  }

  #enqueue (task: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(task).catch((error: unknown) => {
      // A failed append leaves the log behind the folder, which the next start repairs.
      this.#onError(error)
    })
    return this.#queue
  }

  async #closeHandle (): Promise<void> {
    const handle = this.#handle
    this.#handle = null
    await handle?.close()
  }
}

