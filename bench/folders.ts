// Data folders for the benchmarks, written straight to disk (no fsync: they are inputs, not
// acknowledged writes). A `store` folder has ids and mtimes as this service writes them and, once
// opened by the engine, the store's own index; an `earlier` folder is what the earlier server
// left: random hex ids, the statistics file, the latest file, and no index.
import { randomInt } from 'node:crypto'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatId } from '../src/storage/ids.js'
import { createLocalStore } from '../src/storage/index.js'
import { HISTORY_DIR, INDEX_FILE, LATEST_FILE, METADATA_FILE } from '../src/storage/layout.js'
import { payload, storedText } from './payloads.js'

export interface FolderSpec {
  versions: number
  /** Receipt time of the newest version, epoch ms. */
  newestAt: number
  /** Time between two versions, ms (the scraper sends every 5 minutes). */
  stepMs?: number
  style: 'store' | 'earlier'
}

const quietLog = { info: () => {}, warn: () => {}, error: () => {} }

/** Runs `task` for 0..count-1 with at most `limit` at once. */
async function forEachLimit (count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker))
}

export async function benchRoot (): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'usage-vault-bench-'))
}

export async function writeFolder (dataDir: string, spec: FolderSpec): Promise<void> {
  const step = spec.stepMs ?? 5 * 60_000
  const historyDir = join(dataDir, HISTORY_DIR)
  await rm(dataDir, { recursive: true, force: true })
  await mkdir(historyDir, { recursive: true })
  const receivedAt = (index: number): number => spec.newestAt - (spec.versions - 1 - index) * step
  const idOf = (index: number): string => {
    const at = receivedAt(index)
    const second = Math.floor(at / 1000) * 1000
    return formatId(second, spec.style === 'store' ? index : randomInt(0, 0x100000000))
  }
  const texts = (index: number): string => storedText(payload(index, new Date(receivedAt(index)).toISOString()))
  await forEachLimit(spec.versions, 64, async (index) => {
    const file = join(historyDir, `${idOf(index)}.json`)
    await writeFile(file, texts(index))
    // The store stamps each file's mtime with its receipt time; the earlier server did not.
    if (spec.style === 'store') await utimes(file, new Date(receivedAt(index)), new Date(receivedAt(index)))
  })
  const iso = (index: number): string | null => spec.versions === 0
    ? null
    : new Date(spec.style === 'store' ? receivedAt(index) : Math.floor(receivedAt(index) / 1000) * 1000).toISOString()
  await writeFile(join(historyDir, METADATA_FILE), JSON.stringify({
    versionCount: spec.versions,
    oldestTimestamp: iso(0),
    newestTimestamp: iso(spec.versions - 1),
    lastCleanup: null,
    totalVersionsCreated: spec.versions,
    totalVersionsDeleted: 0
  }, null, 2))
  if (spec.versions > 0) await writeFile(join(dataDir, LATEST_FILE), texts(spec.versions - 1))
  if (spec.style === 'store') await buildIndex(dataDir)
}

/** Opens the folder once with the engine, which writes its index, as a first start would. */
export async function buildIndex (dataDir: string): Promise<void> {
  const store = await createLocalStore({ dataDir, retention: { maxVersions: 1_000_000_000, days: 1_000_000 }, log: quietLog })
  await store.close()
}

/** Makes an opened `earlier` folder look unopened again: the index a start wrote goes. */
export async function dropIndex (dataDir: string): Promise<void> {
  await rm(join(dataDir, HISTORY_DIR, INDEX_FILE), { force: true })
}
