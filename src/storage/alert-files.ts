// The folder store's alert outbox (contract section 10): each alert a JSON file of its own in
// `DATA_DIR/_alerts/`, written as durably as a version (temporary file, fsync, rename, fsync of the
// folder), so an alert recorded before its first attempt survives a crash or a power cut. The folder
// is read at first use and kept in memory; one process holds the data folder (its lock), so claims
// live in memory: after a crash they go with the process that held them.
import { lstat, mkdir, readdir, readFile, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { replaceFileDurably, syncDirectory, writeFileDurably } from './durable-file.js'
import { StorageError } from './errors.js'
import type { StoreLog } from './log.js'
import type { AlertDelivery, AlertOutbox, AlertRecord } from './types.js'

export const ALERTS_DIR = '_alerts'
/** Delivered or given-up alerts are removed at the first use after this long, so the folder stays small. */
export const SETTLED_KEPT_MS = 30 * 24 * 60 * 60 * 1000
/** Alert ids become file names: nothing that could leave the folder or hide as a leftover. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/
const TEMP_PREFIX = '.tmp-'

export interface AlertFilesOptions {
  dataDir: string
  log: StoreLog
  /** Refuse to record anything (offline commands that only read). */
  readOnly?: boolean
  clock?: () => number
}

const isLeftover = (name: string): boolean => name.startsWith(TEMP_PREFIX) || (name.startsWith('.') && name.endsWith('.tmp'))

const nullable = (value: unknown, type: 'string' | 'number'): boolean => value === null || typeof value === type

function isAlertRecord (value: unknown): value is AlertRecord {
  if (value === null || typeof value !== 'object') return false
  const r = value as Record<string, unknown>
  return typeof r.id === 'string' && typeof r.kind === 'string' && typeof r.message === 'string' &&
    typeof r.createdAt === 'string' && typeof r.attempts === 'number' &&
    nullable(r.limit, 'string') && nullable(r.threshold, 'number') && nullable(r.percentageUsed, 'number') &&
    nullable(r.resetsAt, 'string') && nullable(r.projectedFullAt, 'string') && nullable(r.versionId, 'string') &&
    nullable(r.nextAttemptAt, 'number') && nullable(r.deliveredAt, 'string') && nullable(r.lastError, 'string')
}

const isPending = (record: AlertRecord): boolean => record.deliveredAt === null && record.nextAttemptAt !== null
const oldestFirst = (a: AlertRecord, b: AlertRecord): number =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

export function createAlertFiles (options: AlertFilesOptions): AlertOutbox {
  const { log } = options
  const clock = options.clock ?? Date.now
  const dataDir = resolve(options.dataDir)
  const dir = join(dataDir, ALERTS_DIR)
  const file = (id: string): string => join(dir, `${id}.json`)
  const holds = new Map<string, number>()
  let folderReady = false
  let loaded: Promise<Map<string, AlertRecord>> | null = null
  // Writes one at a time: `add` must see every record written before it to record an id once.
  let queue: Promise<unknown> = Promise.resolve()
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task)
    queue = run.catch(() => {})
    return run
  }

  const readFolder = async (): Promise<Map<string, AlertRecord>> => {
    const records = new Map<string, AlertRecord>()
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return records
      throw error
    }
    folderReady = true
    const expired = clock() - SETTLED_KEPT_MS
    for (const name of names) {
      const path = join(dir, name)
      if (isLeftover(name)) {
        if (options.readOnly !== true) await unlink(path).catch(() => {})
        continue
      }
      if (!name.endsWith('.json') || !ID_PATTERN.test(name.slice(0, -5))) continue
      try {
        // A link is refused, never followed (contract section 3).
        if ((await lstat(path)).isSymbolicLink()) throw new Error('a symbolic link')
        const record: unknown = JSON.parse(await readFile(path, 'utf8'))
        if (!isAlertRecord(record) || `${record.id}.json` !== name) throw new Error('not an alert record')
        if (!isPending(record) && Date.parse(record.createdAt) < expired && options.readOnly !== true) {
          await unlink(path)
          continue
        }
        records.set(record.id, record)
      } catch (error) {
        log.warn({ err: error, file: path }, 'alert file skipped')
      }
    }
    return records
  }

  /** The records, read from the folder at first use; a failed read is tried again next time. */
  const records = (): Promise<Map<string, AlertRecord>> => {
    loaded ??= readFolder().catch((error: unknown) => {
      loaded = null
      throw error
    })
    return loaded
  }

  const writable = (): void => {
    if (options.readOnly === true) throw new StorageError('STORAGE_UNAVAILABLE', 'the store is open read-only')
  }

  const ensureFolder = async (): Promise<void> => {
    if (folderReady) return
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // The folder's own name must be durable before the first alert in it is.
    await syncDirectory(dataDir)
    folderReady = true
  }

  const text = (record: AlertRecord): string => `${JSON.stringify(record, null, 2)}\n`

  return {
    add: (alert) => serially(async () => {
      writable()
      if (!ID_PATTERN.test(alert.id)) throw new Error(`not a valid alert id: ${JSON.stringify(alert.id)}`)
      const known = await records()
      if (known.has(alert.id)) return false
      await ensureFolder()
      const record = { ...alert }
      await writeFileDurably(join(dir, `${TEMP_PREFIX}${alert.id}.json`), file(alert.id), text(record))
      await syncDirectory(dir)
      known.set(record.id, record)
      return true
    }),

    claim: async (id, holdMs) => {
      writable()
      const record = (await records()).get(id)
      const now = clock()
      if (record === undefined || !isPending(record) || (record.nextAttemptAt as number) > now) return null
      if ((holds.get(id) ?? 0) > now) return null
      holds.set(id, now + holdMs)
      return { ...record }
    },

    settle: (id: string, delivery: AlertDelivery) => serially(async () => {
      writable()
      const known = await records()
      const record = known.get(id)
      if (record === undefined) throw new Error(`no alert ${id} is recorded`)
      const next: AlertRecord = { ...record, ...delivery }
      await replaceFileDurably(file(id), text(next))
      await syncDirectory(dir)
      known.set(id, next)
      holds.delete(id)
    }),

    pending: async () => [...(await records()).values()].filter(isPending).sort(oldestFirst).map((record) => ({ ...record })),

    recent: async (limit) => [...(await records()).values()].sort((a, b) => oldestFirst(b, a)).slice(0, Math.max(0, limit)).map((record) => ({ ...record }))
  }
}
