// The local-folder store: each version a JSON file in `console-usage-history/`, written durably.
// Saves are batched by the group-commit pipeline (group-commit.ts): each save writes, fsyncs and
// renames its own file as it arrives, side by side with the others; a batch's commit is one fsync
// of the directory, which makes all its renames durable at once, and then the batch is answered.
// The statistics and the latest file follow off that path (derived-files.ts).
import { lstat, mkdir, open, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createAlertFiles } from './alert-files.js'
import { DerivedFiles } from './derived-files.js'
import { HeldDirectory, syncDirectory, writeFileDurably } from './durable-file.js'
import { StorageError, storageFailure } from './errors.js'
import { coalesced, versionListeners } from './coalesce.js'
import { createGroupCommit, type PendingSave } from './group-commit.js'
import { IdClock, isVersionId } from './ids.js'
import { IndexLog } from './index-log.js'
import { folderLayout } from './layout.js'
import { acquireLock, type FolderLock } from './lock.js'
import type { StoreLog } from './log.js'
import { CREATE_NEW, DIRECTORY_MODE, FILE_MODE, isLinkRefusal, LINK_REFUSED, readTextNoFollow } from './no-follow.js'
import { describeVersion, openFolder, parseVersionText, quarantine } from './open-folder.js'
import { isPayload, serialize } from './payload.js'
import { expiredVersions, planRetention, type RetentionPolicy } from './retention.js'
import type {
  CleanupResult, ImportedVersion, ImportResult, Payload, SaveResult, Statistics, StorageHealth,
  StoredVersion, VersionMeta, VersionStore
} from './types.js'

export interface LocalStoreOptions {
  dataDir: string
  retention: RetentionPolicy
  log: StoreLog
  /** Open without the lock and change nothing on disk (offline checks and exports). */
  readOnly?: boolean
  /** The clock receipts are stamped from; tests step it back. */
  clock?: () => number
}


/** What the commit needs of a save, beside its payload: its receipt and its file's text. */
interface SaveWork {
  receivedAt: number
  text: string
}

const iso = (ms: number): string => new Date(ms).toISOString()

/** Expired version files removed side by side in one step of a clean-up. */
const UNLINKS_AT_ONCE = 4

function summarise (statistics: Statistics, oldest: VersionMeta | undefined, newest: VersionMeta | undefined, count: number, change: { created?: number, deleted?: number }): Statistics {
  return {
    ...statistics,
    versionCount: count,
    oldestTimestamp: oldest === undefined ? null : iso(oldest.receivedAt),
    newestTimestamp: newest === undefined ? null : iso(newest.receivedAt),
    totalVersionsCreated: statistics.totalVersionsCreated + (change.created ?? 0),
    totalVersionsDeleted: statistics.totalVersionsDeleted + (change.deleted ?? 0)
  }
}

function withVersions (statistics: Statistics, versions: readonly VersionMeta[], change: { created?: number, deleted?: number }): Statistics {
  return summarise(statistics, versions[0], versions[versions.length - 1], versions.length, change)
}

/** The statistics once `added` (newer than every one of `versions`) are stored, without copying `versions` per commit. */
function withAdded (statistics: Statistics, versions: readonly VersionMeta[], added: readonly VersionMeta[]): Statistics {
  return summarise(statistics, versions[0] ?? added[0], added[added.length - 1], versions.length + added.length, { created: added.length })
}

export async function createLocalStore (options: LocalStoreOptions): Promise<VersionStore> {
  const { log, retention } = options
  const readOnly = options.readOnly ?? false
  const clock = options.clock ?? Date.now
  const layout = folderLayout(options.dataDir)

  let lock: FolderLock | null = null
  if (!readOnly) {
    await mkdir(layout.dataDir, { recursive: true, mode: DIRECTORY_MODE })
    lock = await acquireLock(layout.dataDir)
  }

  let opened
  try {
    opened = await openFolder(layout, { readOnly, log, now: clock() })
  } catch (error) {
    await lock?.release()
    throw error
  }

  let versions: VersionMeta[] = opened.versions
  // No map by id beside the list: the list is sorted by id, so a binary search finds one, and 100,000
  // entries of a map would be megabytes more to hold and for every garbage collection to walk.
  const findMeta = (id: string): VersionMeta | undefined => {
    let low = 0
    let high = versions.length - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const meta = versions[middle] as VersionMeta
      if (meta.id === id) return meta
      if (meta.id < id) low = middle + 1
      else high = middle - 1
    }
    return undefined
  }
  let latest: StoredVersion | null = opened.latest
  let statistics: Statistics = opened.statistics
  let bytes = versions.reduce((sum, meta) => sum + meta.size, 0)
  const damaged = [...opened.damaged]
  const { compactor } = opened
  const listeners = versionListeners(log)

  const newestMeta = versions[versions.length - 1]
  const idClock = new IdClock(newestMeta?.id ?? null, versions.reduce((max, meta) => Math.max(max, meta.receivedAt), 0))
  const derived = new DerivedFiles({
    metadataFile: layout.metadataFile,
    latestFile: layout.latestFile,
    state: () => ({ statistics, latest }),
    log
  })
  /** A symbolic link met where a file of the store belongs (refused, never followed): logged and counted once. */
  const refuseLink = (file: string): void => {
    if (damaged.some((entry) => entry.file === file && entry.reason === LINK_REFUSED)) return
    damaged.push({ file, reason: LINK_REFUSED })
    log.warn({ file, reason: LINK_REFUSED }, 'refused a symbolic link in the data folder')
  }
  const indexLog = new IndexLog(layout.indexFile, opened.indexLines, (error) => {
    if (isLinkRefusal(error)) refuseLink(layout.indexFile)
    log.warn({ err: error }, 'index append failed; the next start rebuilds it from the version files')
  })
  const historyDirectory = new HeldDirectory(layout.historyDir)

  if (!readOnly) {
    // Bring the derived files in line with the version files before the first request.
    if (opened.metadataStale || opened.latestFileStale) derived.request({ latest: opened.latestFileStale })
    await derived.flush()
    if (opened.indexStale || opened.indexLines > 2 * versions.length + 1000) await indexLog.compact(versions)
    await Promise.all([syncDirectory(layout.historyDir), syncDirectory(layout.dataDir)])
  }
  log.info({ versions: versions.length, damaged: damaged.length }, 'store opened')

  // ---- saving ---------------------------------------------------------------------------------

  let closing = false

  type Save = PendingSave<SaveWork>
  /**
   * Commits a batch of saves whose files may still be writing: once each has its name, one fsync of
   * the directory makes every rename durable, and the batch is answered. The derived files follow,
   * off the answer's path. A failed fsync takes the batch back out, unacknowledged.
   */
  const commit = async (batch: readonly Save[]): Promise<VersionMeta[]> => {
    const ready = await Promise.all(batch.map((save) => save.ready))
    // Version files that failed were answered so already: the batch goes on without them.
    const saves = batch.filter((_, index) => ready[index])
    if (saves.length === 0) return []
    try {
      await historyDirectory.sync()
    } catch (error) {
      await Promise.all(saves.map((save) => unlink(layout.versionFile(save.id)).catch(() => {})))
      await syncDirectory(layout.historyDir).catch(() => {})
      throw error
    }
    const metas = saves.map((save) => compactor.compact(describeVersion(save.id, save.work.receivedAt, save.work.text, save.payload)))
    statistics = withAdded(statistics, versions, metas)
    versions.push(...metas)
    bytes += metas.reduce((sum, meta) => sum + meta.size, 0)
    latest = { meta: metas[metas.length - 1] as VersionMeta, payload: (saves[saves.length - 1] as Save).payload }
    derived.request({ latest: true })
    indexLog.added(metas)
    metas.forEach((meta, index) => { listeners.tell({ meta, payload: (saves[index] as Save).payload }) })
    return metas
  }

  const pipeline = createGroupCommit<SaveWork>({
    latest: () => latest,
    admit: (payload) => {
      const receipt = idClock.next(clock())
      const text = serialize(payload)
      return {
        id: receipt.id,
        work: { receivedAt: receipt.receivedAt, text },
        started: writeFileDurably(layout.versionTempFile(receipt.id), layout.versionFile(receipt.id), text, new Date(receipt.receivedAt))
      }
    },
    commit,
    log
  })
  const { exclusively } = pipeline

  /** Why no write may start now: a read-only store, or one closing, whose lock may soon be another's. */
  const refusal = (): StorageError | null => readOnly
    ? new StorageError('STORAGE_UNAVAILABLE', 'the store is open read-only')
    : closing ? new StorageError('STORAGE_UNAVAILABLE', 'the store is closing') : null

  const save = async (payload: Payload): Promise<SaveResult> => {
    const refused = refusal()
    if (refused !== null) throw refused
    return await pipeline.save(payload)
  }

  // ---- reading --------------------------------------------------------------------------------

  /** Takes versions out of memory and the statistics (not counting them as deleted by retention). */
  const forget = (ids: ReadonlySet<string>): VersionMeta[] => {
    // Most clean-ups find nothing to delete: skip the two passes over every version.
    if (ids.size === 0) return []
    const gone = versions.filter((meta) => ids.has(meta.id))
    versions = versions.filter((meta) => !ids.has(meta.id))
    for (const meta of gone) bytes -= meta.size
    return gone
  }

  const setAsideDamaged = (meta: VersionMeta, reason: string): Promise<void> => exclusively(async () => {
    if (findMeta(meta.id) === undefined) return
    const path = layout.versionFile(meta.id)
    damaged.push({ file: path, reason })
    forget(new Set([meta.id]))
    statistics = withVersions(statistics, versions, {})
    indexLog.removed([meta.id])
    const movedTo = readOnly ? null : await quarantine(layout, path)
    log.warn({ file: path, reason, movedTo }, 'damaged version file found on read')
    if (!readOnly) derived.request({ latest: false })
  })

  const get = async (id: string): Promise<StoredVersion | null> => {
    const meta = findMeta(id)
    if (meta === undefined) return null
    if (latest?.meta.id === id) return latest
    let text: string
    try {
      text = await readTextNoFollow(layout.versionFile(id))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // Removed by retention while we read, or by hand.
        return null
      }
      if (isLinkRefusal(error)) {
        // Replaced by a link since the start: never served.
        await setAsideDamaged(meta, LINK_REFUSED).catch(() => {})
        return null
      }
      throw storageFailure(error, 'read the version')
    }
    try {
      return { meta, payload: parseVersionText(text) }
    } catch (error) {
      await setAsideDamaged(meta, (error as Error).message).catch((failure: unknown) => {
        log.error({ err: failure, id }, 'could not move a damaged version aside')
      })
      return null
    }
  }

  // ---- retention ------------------------------------------------------------------------------

  const runCleanup = async (): Promise<CleanupResult> => {
    const started = performance.now()
    const removed = await exclusively(async () => {
      const now = clock()
      const gone = forget(new Set(expiredVersions(versions, now, retention)))
      const next = withVersions({ ...statistics, lastCleanup: iso(now) }, versions, { deleted: gone.length })
      if (gone.length === 0) {
        // Only `lastCleanup` moved. It reaches the disk with the next commit's statistics, or at close,
        // rather than as a write of its own after every stored write; a crash loses only that time.
        statistics = next
        derived.statisticsChanged()
        return gone
      }
      const previous = statistics
      statistics = next
      derived.request({ latest: false })
      try {
        // The statistics reach the disk before any file goes: a crash then leaves an orphan file,
        // which the next start counts, never a count that is short.
        await derived.flush()
        await historyDirectory.sync()
      } catch (error) {
        versions = [...versions, ...gone].sort((a, b) => (a.id < b.id ? -1 : 1))
        bytes += gone.reduce((sum, meta) => sum + meta.size, 0)
        statistics = previous
        derived.request({ latest: false })
        throw storageFailure(error, 'record the clean-up')
      }
      return gone
    })
    const unlinkExpired = (meta: VersionMeta): Promise<void> => unlink(layout.versionFile(meta.id)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') log.warn({ err: error, id: meta.id }, 'could not remove an expired version; the next start counts it again')
    })
    // A few at a time: a clean-up of thousands must not take the thread pool and the event loop
    // from the requests being served meanwhile.
    for (let start = 0; start < removed.length; start += UNLINKS_AT_ONCE) {
      await Promise.all(removed.slice(start, start + UNLINKS_AT_ONCE).map(unlinkExpired))
    }
    if (removed.length > 0) {
      await syncDirectory(layout.historyDir).catch(() => {})
      indexLog.removed(removed.map((meta) => meta.id))
      if (indexLog.lines > 2 * versions.length + 1000) await indexLog.compact(versions)
      log.info({ deleted: removed.length, kept: versions.length }, 'retention clean-up')
    }
    return { deleted: removed.length, kept: versions.length, durationMs: performance.now() - started }
  }

  /** One clean-up at a time; calls during a run share the one run queued after it. */
  const cleanups = coalesced(runCleanup, refusal)

  // ---- import ---------------------------------------------------------------------------------

  const importVersions = async (source: AsyncIterable<ImportedVersion> | Iterable<ImportedVersion>): Promise<ImportResult> => {
    const refused = refusal()
    if (refused !== null) throw refused
    let imported = 0
    let skipped = 0
    let batch: Array<{ meta: VersionMeta, payload: Payload }> = []
    const commitImported = (): Promise<void> => exclusively(async () => {
      if (batch.length === 0) return
      await syncDirectory(layout.historyDir)
      const metas = batch.map((item) => item.meta)
      versions = [...versions, ...metas].sort((a, b) => (a.id < b.id ? -1 : 1))
      bytes += metas.reduce((sum, meta) => sum + meta.size, 0)
      statistics = withVersions(statistics, versions, { created: metas.length })
      const newestMeta = versions[versions.length - 1] as VersionMeta
      const newestImported = batch.find((item) => item.meta.id === newestMeta.id)
      if (newestImported !== undefined) latest = { meta: newestMeta, payload: newestImported.payload }
      pipeline.resetDuplicateCheck()
      derived.request({ latest: newestImported !== undefined })
      await derived.flush()
      await Promise.all([historyDirectory.sync(), syncDirectory(layout.dataDir)])
      indexLog.added(metas)
      batch = []
    })
    for await (const version of source) {
      if (!isVersionId(version.id) || !isPayload(version.payload) || !Number.isFinite(version.receivedAt)) {
        throw new StorageError('STORAGE_UNAVAILABLE', `not a version: ${JSON.stringify(version.id)}`)
      }
      if (findMeta(version.id) !== undefined || batch.some((item) => item.meta.id === version.id)) {
        skipped++
        continue
      }
      const text = serialize(version.payload)
      await writeFileDurably(layout.versionTempFile(version.id), layout.versionFile(version.id), text, new Date(version.receivedAt))
        .catch((error: unknown) => { throw storageFailure(error, 'import a version') })
      idClock.observe(version.id, version.receivedAt)
      batch.push({ meta: compactor.compact(describeVersion(version.id, version.receivedAt, text, version.payload)), payload: version.payload })
      imported++
      if (batch.length >= 256) await commitImported()
    }
    await commitImported()
    return { imported, skipped }
  }

  // ---- health and close -----------------------------------------------------------------------

  /**
   * Concurrent health checks share one probe: each writing and unlinking the same probe file, one
   * would unlink the other's and report a writable folder as unwritable.
   */
  let probing: Promise<boolean> | null = null
  const probeWritable = (): Promise<boolean> => {
    probing ??= (async () => {
      // Named as a leftover (`.<name>.tmp`), so a crash in between leaves nothing the next start keeps.
      const probe = join(layout.historyDir, `.probe-${process.pid}.tmp`)
      const write = async (): Promise<void> => {
        const handle = await open(probe, CREATE_NEW, FILE_MODE)
        await handle.writeFile('probe').finally(() => handle.close())
      }
      try {
        await write().catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error
          // Something holds the probe's name: a leftover, or a link planted there, which O_EXCL
          // refused to write through. Unlinking removes the name, never what a link points to.
          if ((await lstat(probe)).isSymbolicLink()) refuseLink(probe)
          await unlink(probe)
          await write()
        })
        await unlink(probe)
        return true
      } catch {
        return false
      }
    })().finally(() => { probing = null })
    return probing
  }

  const health = async (): Promise<StorageHealth> => {
    let writable = !readOnly && !closing && lock !== null && await lock.isHeld().catch(() => false)
    if (writable) writable = await probeWritable()
    return { writable, damaged: damaged.length }
  }

  const close = async (): Promise<void> => {
    if (closing) return
    closing = true
    await pipeline.drain()
    await cleanups.settled()
    if (!readOnly) {
      // The derived files as the store leaves them (with the last clean-up's time), made durable.
      await exclusively(async () => {
        await derived.flush()
        await Promise.all([historyDirectory.sync(), syncDirectory(layout.dataDir)])
      }).catch((error: unknown) => { log.warn({ err: error }, 'could not bring the statistics and the latest file up to date at close') })
    }
    derived.stop()
    await historyDirectory.close()
    await indexLog.close()
    listeners.clear()
    await lock?.release()
  }

  return {
    retention,
    alerts: createAlertFiles({ dataDir: layout.dataDir, log, readOnly }),
    save,
    latest: () => latest,
    list: () => versions,
    meta: (id) => findMeta(id) ?? null,
    get,
    statistics: () => statistics,
    bytesStored: () => bytes,
    health,
    planRetention: (now = clock()) => planRetention(versions, now, retention),
    cleanup: cleanups.run,
    importVersions,
    onVersion: listeners.add,
    close
  }
}
