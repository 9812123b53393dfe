// The store's own index: an append-only log of the metadata of each version added and the ids
// removed, so a start with 100,000 versions reads one file instead of 100,000. It is derived: the
// version files are the truth, the start checks the log against them, and a lost or torn log only
// costs a slower start. Appends are not fsynced for the same reason.
import { open, readFile, rename, type FileHandle } from 'node:fs/promises'
import type { VersionMeta } from './types.js'

type IndexRecord = { add: VersionMeta } | { del: string[] }

export interface IndexSnapshot {
  entries: Map<string, VersionMeta>
  /** Lines in the log, to decide when it is worth compacting. */
  lines: number
  /** A line could not be read (a torn append): the log should be rewritten. */
  torn: boolean
}

export async function readIndex (path: string): Promise<IndexSnapshot> {
  const entries = new Map<string, VersionMeta>()
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries, lines: 0, torn: false }
    throw error
  }
  let lines = 0
  let torn = false
  for (const line of text.split('\n')) {
    if (line === '') continue
    lines++
    try {
      const record = JSON.parse(line) as IndexRecord
      if ('add' in record) entries.set(record.add.id, record.add)
      else for (const id of record.del) entries.delete(id)
    } catch {
      torn = true
    }
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
      const temp = `${this.#path}.tmp`
      await writeWhole(temp, toLines(versions.map((add) => ({ add }))))
      await rename(temp, this.#path)
      this.#lines = versions.length
    })
  }

  async close (): Promise<void> {
    await this.#enqueue(() => this.#closeHandle())
  }

  #append (records: IndexRecord[]): void {
    this.#lines += records.length
    void this.#enqueue(async () => {
      this.#handle ??= await open(this.#path, 'a')
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

async function writeWhole (path: string, text: string): Promise<void> {
  const handle = await open(path, 'w')
  try {
    await handle.writeFile(text, 'utf8')
  } finally {
    await handle.close()
  }
}
