// The PostgreSQL store: the versions of one history in a database that any number of instances
// share. Each instance keeps the folder store's memory view (every version's metadata, the latest
// payload) and keeps it current: its own commits, and the others' through LISTEN/NOTIFY, after
// which it catches up with a query, so a notification missed is never a version missed.
//
// Writes go through one connection of their own, which also listens: a commit's notification
// then comes back with its answer, not as a second wake-up of another connection. A group commit
// is one statement: it advances the id clock in the `state` row only if that row
// still holds the last id this instance knows (else another instance stored something first: catch
// up and try again), inserts the batch, updates the statistics and notifies, in one transaction.
// Ids and duplicates are decided there, against the database's own latest.
import { randomBytes } from 'node:crypto'
import { StorageError } from './errors.js'
import { coalesced, versionListeners } from './coalesce.js'
import { createGroupCommit, type CommitOutcome, type PendingSave } from './group-commit.js'
import { IdClock, isVersionId } from './ids.js'
import type { StoreLog } from './log.js'
import { describeVersion, parseVersionText } from './open-folder.js'
import { postgresOutbox } from './postgres-alerts.js'
import { isDatabaseUrl, SCHEMA_PATTERN } from './database-url.js'
import { CALL_DEADLINE_MS, endedBeforeCommit, openSql, transaction, waitForServer, withinDeadline, type Queryable, type Sql } from './postgres-connection.js'
import { checkSchema, migrate } from './postgres-migrations.js'
import { canonical, isPayload, serialize } from './payload.js'
import { expiredVersions, planRetention, type RetentionPolicy } from './retention.js'
import type {
  AlertOutbox, CleanupResult, ImportedVersion, ImportResult, Payload, Statistics, StorageHealth, StoredVersion,
  VersionMeta, VersionStore
} from './types.js'

export interface PostgresStoreOptions {
  /** A postgres:// or postgresql:// URL. */
  url: string
  /** The schema that holds the tables; created and migrated at start. */
  schema: string
  retention: RetentionPolicy
  log: StoreLog
  /** The clock receipts are stamped from; tests step it back. */
  clock?: () => number
  /** Neither migrate nor write (offline checks and exports). */
  readOnly?: boolean
  /** How long a server that does not answer is waited for at start (30 s by default). */
  connectTimeoutMs?: number
}

/** The columns of the `state` row, bigints as postgres.js returns them (strings). */
interface StateRow {
  last_id: string | null
  last_received_at: string
  version_count: string
  oldest_received_at: string | null
  newest_received_at: string | null
  last_cleanup: string | null
  total_created: string
  total_deleted: string
}

interface VersionRow {
  meta: string
  payload?: string
}

/** What a save brings to its commit: its text as stored and its canonical form, made once. */
interface SaveWork {
  text: string
  key: string
  /** performance.now() when the save was asked for: its answer is due within CALL_DEADLINE_MS of it. */
  admittedAt: number
}

const iso = (ms: string | number | null): string | null => ms === null ? null : new Date(Number(ms)).toISOString()
const byIdOrder = (a: VersionMeta, b: VersionMeta): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

function statisticsOf (row: StateRow): Statistics {
  return {
    versionCount: Number(row.version_count),
    oldestTimestamp: iso(row.oldest_received_at),
    newestTimestamp: iso(row.newest_received_at),
    lastCleanup: iso(row.last_cleanup),
    totalVersionsCreated: Number(row.total_created),
    totalVersionsDeleted: Number(row.total_deleted)
  }
}

const metaOf = (row: VersionRow): VersionMeta => JSON.parse(row.meta) as VersionMeta

interface MetaPage {
  rows: number
  metas: string
  /** The page's last id, where the next page starts. */
  last: string | null
}

/**
 * Every version's metadata with an id after `after`, in id order. The server joins each page's
 * `meta` texts into one JSON array, parsed at once (one row object apiece took longer than the 2 s a
 * start of 100,000 versions may take), and works on the next page while this one is parsed.
 */
async function readMetas (db: Queryable, after: string): Promise<VersionMeta[]> {
  const pageAfter = async (from: string): Promise<MetaPage | undefined> => (await db<MetaPage[]>`
    SELECT count(*)::int AS rows, coalesce(string_agg(meta, ',' ORDER BY id), '') AS metas, max(id) AS last
    FROM (SELECT id, meta FROM versions WHERE id > ${from} ORDER BY id LIMIT ${LOAD_PAGE}) AS page`)[0]
  const found: VersionMeta[] = []
  for (let page = await pageAfter(after); page !== undefined && page.rows > 0;) {
    const next = page.rows === LOAD_PAGE && page.last !== null ? pageAfter(page.last) : null
    // Awaited below; until then a failure must not count as unhandled.
    next?.catch(() => {})
    for (const meta of JSON.parse(`[${page.metas}]`) as VersionMeta[]) found.push(meta)
    page = await next ?? undefined
  }
  return found
}

/** A notification: what changed (`add`, with the newest id; `del`; `import`) and which instance changed it. */
const notification = (kind: 'add' | 'del' | 'import', instance: string, id = ''): string => `${kind}:${instance}:${id}`

/** Rows fetched at a time when catching up; each new version is also handed to the listeners. */
const CATCH_UP_PAGE = 500
const LOAD_PAGE = 20_000
/** Commits that lost the race to other instances, in a row, before a save is answered as failed. */
const MAX_COMMIT_ATTEMPTS = 50
const IMPORT_BATCH = 256
const RETRY_LISTEN_MS = 1_000

export async function createPostgresStore (options: PostgresStoreOptions): Promise<VersionStore & { readonly alerts: AlertOutbox }> {
  const { log, retention, url, schema } = options
  const readOnly = options.readOnly ?? false
  const clock = options.clock ?? Date.now
  if (!isDatabaseUrl(url)) throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL with a host')
  if (!SCHEMA_PATTERN.test(schema)) throw new Error(`DATABASE_SCHEMA must be a lower-case identifier of at most 48 characters, not ${JSON.stringify(schema)}`)
  const channel = `${schema}_changes`
  /** Names this instance in its notifications, so it can pass over its own. */
  const instance = randomBytes(6).toString('hex')

  const sql = openSql({ url, schema, max: 10 })
  const writer = readOnly
    ? sql
    : openSql({ url, schema, max: 1, onnotify: (from, message) => { onNotification(from, message) }, onclose: () => { if (!closing) scheduleListen() } })
  let schemaReady: boolean
  try {
    await waitForServer(sql, url, options.connectTimeoutMs ?? 30_000, log)
    if (readOnly) schemaReady = await checkSchema(sql, schema)
    else {
      const applied = await migrate(sql, schema)
      if (applied.length > 0) log.info({ schema, applied }, 'database schema migrated')
      schemaReady = true
    }
  } catch (error) {
    await Promise.allSettled([writer.end({ timeout: 1 }), sql.end({ timeout: 1 })])
    throw error
  }

  // ---- the memory view ------------------------------------------------------------------------

  let versions: VersionMeta[] = []
  const byId = new Map<string, VersionMeta>()
  let latest: StoredVersion | null = null
  let latestKey: string | null = null
  let bytes = 0
  /** The `state` row as last read; the statistics are made from it when asked for (not on every commit). */
  let lastState: StateRow = {
    last_id: null, last_received_at: '0', version_count: '0', oldest_received_at: null, newest_received_at: null,
    last_cleanup: null, total_created: '0', total_deleted: '0'
  }
  let statistics: Statistics | null = null
  /** The id clock as of the database state this view reflects: every version up to `lastId` is in `versions`. */
  let known = { lastId: null as string | null, lastReceivedAt: 0 }
  /** A clean-up that deleted nothing moves `lastCleanup` here; the next commit, or close, writes it. */
  let cleanupUnwritten: number | null = null
  const listeners = versionListeners(log)
  let closing = false

  const applyState = (row: StateRow): void => {
    lastState = row
    statistics = null
    known = { lastId: row.last_id, lastReceivedAt: Number(row.last_received_at) }
  }

  const currentStatistics = (): Statistics => {
    if (statistics === null) {
      statistics = statisticsOf(lastState)
      if (cleanupUnwritten !== null && (lastState.last_cleanup === null || Number(lastState.last_cleanup) < cleanupUnwritten)) {
        statistics.lastCleanup = iso(cleanupUnwritten)
      }
    }
    return statistics
  }

  /** `key`: the payload's canonical form, when the caller has it already. */
  const setLatest = (version: StoredVersion | null, key?: string): void => {
    latest = version
    latestKey = version === null ? null : key ?? canonical(version.payload)
  }

  /** Adds versions newer than every one in the view. */
  const append = (metas: readonly VersionMeta[]): void => {
    for (const meta of metas) {
      byId.set(meta.id, meta)
      versions.push(meta)
      bytes += meta.size
    }
  }

  /** Replaces the view's versions by `metas` (sorted), keeping the objects of those already known. */
  const replaceVersions = (metas: VersionMeta[]): void => {
    versions = metas
    byId.clear()
    bytes = 0
    for (const meta of metas) {
      byId.set(meta.id, meta)
      bytes += meta.size
    }
  }

  const readLatestPayload = async (db: Queryable): Promise<void> => {
    const newest = versions[versions.length - 1]
    if (newest === undefined) return setLatest(null)
    if (latest?.meta.id === newest.id) return
    const [row] = await db<Array<{ payload: string }>>`SELECT payload FROM versions WHERE id = ${newest.id}`
    if (row !== undefined) setLatest({ meta: newest, payload: parseVersionText(row.payload) })
  }

  /**
   * Brings the view in line with the database, in one snapshot: new versions (told to the
   * listeners, in id order), and with `full` (or when the count disagrees) the whole set of ids,
   * for deletions and imports made elsewhere.
   */
  const catchUp = async (full: boolean): Promise<void> => {
    const told: StoredVersion[] = []
    await withinDeadline(transaction(sql, 'isolation level repeatable read read only', async (tx) => {
      const [state] = await tx<StateRow[]>`SELECT * FROM state`
      if (state === undefined) throw new StorageError('STORAGE_UNAVAILABLE', 'the state row of the database is missing')
      for (;;) {
        const after = versions[versions.length - 1]?.id ?? ''
        const rows = await tx<VersionRow[]>`SELECT meta, payload FROM versions WHERE id > ${after} ORDER BY id LIMIT ${CATCH_UP_PAGE}`
        const metas = rows.map(metaOf)
        append(metas)
        rows.forEach((row, index) => told.push({ meta: metas[index] as VersionMeta, payload: parseVersionText(row.payload ?? '') }))
        if (rows.length < CATCH_UP_PAGE) break
      }
      if (full || Number(state.version_count) !== versions.length) {
        const ids = await tx<Array<{ id: string }>>`SELECT id FROM versions ORDER BY id`
        const missing = ids.filter(({ id }) => !byId.has(id)).map(({ id }) => id)
        const found = missing.length === 0
          ? []
          : (await tx<VersionRow[]>`SELECT meta FROM versions WHERE id = ANY(${sql.array(missing)}::text[])`).map(metaOf)
        const fresh = new Map(found.map((meta) => [meta.id, meta]))
        replaceVersions(ids.map(({ id }) => byId.get(id) ?? fresh.get(id) as VersionMeta))
      }
      const newest = told[told.length - 1]
      if (newest !== undefined && newest.meta.id === versions[versions.length - 1]?.id) setLatest(newest)
      else await readLatestPayload(tx)
      applyState(state)
    }), 'catch up with the database')
    for (const version of told) listeners.tell(version)
  }

  // ---- saving ---------------------------------------------------------------------------------

  /** A commit's plan: the versions it stores, and the answer to every save of the batch. */
  interface Plan {
    stored: Array<{ meta: VersionMeta, payload: Payload, text: string, key: string }>
    outcomes: CommitOutcome[]
  }

  /** Ids from the database's clock as this view knows it; a save equal to the one before it is a duplicate. */
  const plan = (batch: ReadonlyArray<PendingSave<SaveWork>>): Plan => {
    const ids = new IdClock(known.lastId, known.lastReceivedAt)
    const result: Plan = { stored: [], outcomes: [] }
    let previous = latest === null ? null : { key: latestKey, meta: latest.meta }
    for (const save of batch) {
      if (previous !== null && previous.key === save.work.key) {
        result.outcomes.push({ id: save.id, version: previous.meta, duplicate: true })
        continue
      }
      const receipt = ids.next(clock())
      const meta = describeVersion(receipt.id, receipt.receivedAt, save.work.text, save.payload)
      result.stored.push({ meta, payload: save.payload, text: save.work.text, key: save.work.key })
      result.outcomes.push({ id: save.id, version: meta, duplicate: false })
      previous = { key: save.work.key, meta }
    }
    return result
  }

  /**
   * Runs the plan in one statement; null when another instance moved the clock first. The versions
   * go as VALUES rows of parameters: as four arrays (unnest) the statement took about 0.1 ms more,
   * the payloads escaped into array literals and parsed back out of them.
   */
  const write = async ({ stored }: Plan): Promise<StateRow | null> => {
    const expected = known.lastId
    if (stored.length === 0) {
      // Only duplicates: they stand if the database's latest is still the one compared with.
      const [row] = await sql<StateRow[]>`SELECT * FROM state`
      return row !== undefined && row.last_id === expected ? row : null
    }
    const first = stored[0] as Plan['stored'][number]
    const last = stored[stored.length - 1] as Plan['stored'][number]
    const [row] = await writer<StateRow[]>`
      WITH head AS (
        UPDATE state SET
          last_id = ${last.meta.id}, last_received_at = ${last.meta.receivedAt},
          version_count = version_count + ${stored.length}, total_created = total_created + ${stored.length},
          oldest_received_at = coalesce(oldest_received_at, ${first.meta.receivedAt}),
          newest_received_at = ${last.meta.receivedAt},
          last_cleanup = greatest(last_cleanup, ${cleanupUnwritten}::bigint)
        WHERE one AND last_id IS NOT DISTINCT FROM ${expected}::text
        RETURNING *
      ), added AS (
        INSERT INTO versions (id, received_at, payload, meta)
        SELECT version.id, version.received_at::bigint, version.payload, version.meta
        FROM head, (VALUES ${writer(stored.map((item) => [item.meta.id, item.meta.receivedAt, item.text, JSON.stringify(item.meta)]))})
          AS version (id, received_at, payload, meta)
      )
      SELECT head.*, pg_notify(${channel}, ${notification('add', instance, last.meta.id)}) FROM head`
    return row ?? null
  }

  const commit = async (batch: ReadonlyArray<PendingSave<SaveWork>>): Promise<CommitOutcome[]> => {
    // The deadline runs from the oldest save's request, not from this commit's start: commits go one
    // at a time, so behind one that waited out its deadline a fresh deadline would double the wait.
    const admitted = Math.min(...batch.map((save) => save.work.admittedAt))
    for (let attempt = 1; ; attempt++) {
      const planned = plan(batch)
      const cleanupWritten = cleanupUnwritten
      const left = CALL_DEADLINE_MS - (performance.now() - admitted)
      if (left <= 0) throw new StorageError('STORAGE_UNAVAILABLE', `the database did not answer within ${CALL_DEADLINE_MS} ms to store the version`)
      const row = await withinDeadline(write(planned).catch(async (error: unknown) => {
        if (!endedBeforeCommit(error)) throw error
        return await write(planned)
      }), 'store the version', left)
      if (row !== null) {
        if (cleanupWritten !== null && cleanupUnwritten === cleanupWritten) cleanupUnwritten = null
        append(planned.stored.map((item) => item.meta))
        applyState(row)
        const newest = planned.stored[planned.stored.length - 1]
        if (newest !== undefined) setLatest({ meta: newest.meta, payload: newest.payload }, newest.key)
        for (const item of planned.stored) listeners.tell({ meta: item.meta, payload: item.payload })
        return planned.outcomes
      }
      if (attempt === MAX_COMMIT_ATTEMPTS) {
        throw new StorageError('STORAGE_UNAVAILABLE', `other instances stored versions first ${attempt} times in a row`)
      }
      await catchUp(false)
    }
  }

  let keys = 0
  const pipeline = createGroupCommit<SaveWork>({
    latest: () => latest,
    // The real id is given inside the commit, from the database's clock; this one only names the save.
    admit: (payload, key) => ({ id: String(++keys).padStart(16, '0'), work: { text: serialize(payload), key, admittedAt: performance.now() } }),
    commit,
    log,
    duplicates: 'commit'
  })

  /** Why no write may start now. */
  const refusal = (): StorageError | null => readOnly
    ? new StorageError('STORAGE_UNAVAILABLE', 'the store is open read-only')
    : closing ? new StorageError('STORAGE_UNAVAILABLE', 'the store is closing') : null

  // ---- keeping up with other instances --------------------------------------------------------

  let syncQueued = false
  let syncFull = false
  let syncRetry: NodeJS.Timeout | null = null

  /** Catches up soon, once, however many notifications ask; retried until the database answers. */
  const requestCatchUp = (full: boolean): void => {
    syncFull ||= full
    if (syncQueued || closing) return
    syncQueued = true
    void pipeline.exclusively(async () => {
      syncQueued = false
      const wantFull = syncFull
      syncFull = false
      try {
        await catchUp(wantFull)
      } catch (error) {
        syncFull ||= wantFull
        log.warn({ err: error }, 'could not catch up with the database; retrying')
        if (!closing && syncRetry === null) {
          syncRetry = setTimeout(() => { syncRetry = null; requestCatchUp(false) }, RETRY_LISTEN_MS)
          syncRetry.unref()
        }
      }
    })
  }

  const onNotification = (_channel: string, message: string): void => {
    const [kind, from, id = ''] = message.split(':')
    // Our own changes, and versions caught up with already, need nothing more.
    if (from === instance || (kind === 'add' && id <= (versions[versions.length - 1]?.id ?? ''))) return
    requestCatchUp(kind !== 'add')
  }

  let listenRetry: NodeJS.Timeout | null = null
  const listen = async (): Promise<void> => {
    await withinDeadline(writer.unsafe(`LISTEN "${channel}"`), 'listen for changes')
  }
  /** The listening connection dropped: listen again, then catch up with what was missed meanwhile. */
  function scheduleListen (): void {
    if (listenRetry !== null || closing) return
    listenRetry = setTimeout(() => {
      listenRetry = null
      listen().then(() => {
        log.info({}, 'listening for changes again')
        requestCatchUp(true)
      }, (error: unknown) => {
        log.warn({ err: error }, 'could not listen for changes; retrying')
        scheduleListen()
      })
    }, RETRY_LISTEN_MS)
    listenRetry.unref()
  }

  // ---- start: listen first, so nothing stored while the view loads is missed ------------------

  try {
    if (!readOnly) await listen()
    if (schemaReady) {
      const started = performance.now()
      await withinDeadline(transaction(sql, 'isolation level repeatable read read only', async (tx) => {
        const [state] = await tx<StateRow[]>`SELECT * FROM state`
        replaceVersions(await readMetas(tx, ''))
        await readLatestPayload(tx)
        if (state !== undefined) applyState(state)
      }), 'load the versions', 60_000)
      log.info({ versions: versions.length, ms: Math.round(performance.now() - started) }, 'store opened')
    } else log.info({ schema }, 'store opened on a database without the schema: nothing stored yet')
  } catch (error) {
    closing = true
    await Promise.allSettled([writer.end({ timeout: 1 }), sql.end({ timeout: 1 })])
    throw error
  }

  const save = async (payload: Payload): ReturnType<VersionStore['save']> => {
    const refused = refusal()
    if (refused !== null) throw refused
    return await pipeline.save(payload)
  }

  // ---- reading --------------------------------------------------------------------------------

  const get = async (id: string): Promise<StoredVersion | null> => {
    const meta = byId.get(id)
    if (meta === undefined) return null
    if (latest?.meta.id === id) return latest
    const [row] = await withinDeadline(sql<Array<{ payload: string }>>`SELECT payload FROM versions WHERE id = ${id}`, 'read the version')
    // None: deleted by a clean-up (here or in another instance) since the view last looked.
    if (row === undefined) return null
    try {
      return { meta, payload: parseVersionText(row.payload) }
    } catch (error) {
      log.error({ err: error, id }, 'a stored payload is not a JSON object')
      return null
    }
  }

  // ---- retention ------------------------------------------------------------------------------

  /**
   * Deletes what the policy expires, as this view sees it. Another instance may know more versions;
   * a view that lacks some expires fewer, never more. The `state` row is locked first, so clean-ups
   * (in every instance) run one at a time and each version is deleted, and counted, once.
   */
  const runCleanup = async (): Promise<CleanupResult> => {
    const started = performance.now()
    const deleted = await pipeline.exclusively(async () => {
      const now = clock()
      const expired = expiredVersions(versions, now, retention)
      if (expired.length === 0) {
        cleanupUnwritten = now
        statistics = null
        return 0
      }
      const { gone, state } = await withinDeadline(transaction(writer, '', async (tx) => {
        await tx`SELECT one FROM state FOR UPDATE`
        const removed = await tx<Array<{ id: string }>>`DELETE FROM versions WHERE id = ANY(${writer.array(expired)}::text[]) RETURNING id`
        const [row] = await tx<StateRow[]>`
          UPDATE state SET version_count = version_count - ${removed.length}, total_deleted = total_deleted + ${removed.length},
            last_cleanup = greatest(last_cleanup, ${now}),
            oldest_received_at = (SELECT received_at FROM versions ORDER BY id LIMIT 1)
          RETURNING *`
        if (removed.length > 0) await tx`SELECT pg_notify(${channel}, ${notification('del', instance)})`
        return { gone: new Set(removed.map(({ id }) => id)), state: row as StateRow }
      }), 'record the clean-up')
      // Expired here but already gone: another instance deleted (and counted) them.
      const expiredSet = new Set(expired)
      replaceVersions(versions.filter((meta) => !expiredSet.has(meta.id)))
      cleanupUnwritten = null
      applyState(state)
      if (gone.size > 0) log.info({ deleted: gone.size, kept: versions.length }, 'retention clean-up')
      return gone.size
    })
    return { deleted, kept: versions.length, durationMs: performance.now() - started }
  }

  /** One clean-up at a time here; calls during a run share the one run queued after it. */
  const cleanups = coalesced(runCleanup, refusal)

  // ---- import ---------------------------------------------------------------------------------

  const importBatch = (batch: StoredVersion[]): Promise<number> => pipeline.exclusively(async () => {
    const metas = batch.map((item) => item.meta)
    const newestId = metas.reduce((max, meta) => (meta.id > max ? meta.id : max), '')
    const newestAt = metas.reduce((max, meta) => Math.max(max, meta.receivedAt), 0)
    const { added, state } = await withinDeadline(transaction(writer, '', async (tx) => {
      await tx`SELECT one FROM state FOR UPDATE`
      const inserted = await tx<Array<{ id: string }>>`
        INSERT INTO versions (id, received_at, payload, meta)
        SELECT * FROM unnest(${writer.array(metas.map((meta) => meta.id))}::text[], ${writer.array(metas.map((meta) => meta.receivedAt))}::bigint[],
          ${writer.array(batch.map((item) => serialize(item.payload)))}::text[], ${writer.array(metas.map((meta) => JSON.stringify(meta)))}::text[])
        ON CONFLICT (id) DO NOTHING RETURNING id`
      // The clock moves past imported ids, so later ones stay greater than every id ever given.
      const [row] = await tx<StateRow[]>`
        UPDATE state SET version_count = version_count + ${inserted.length}, total_created = total_created + ${inserted.length},
          last_id = greatest(last_id, ${newestId}::text), last_received_at = greatest(last_received_at, ${newestAt}),
          oldest_received_at = (SELECT received_at FROM versions ORDER BY id LIMIT 1),
          newest_received_at = (SELECT received_at FROM versions ORDER BY id DESC LIMIT 1)
        RETURNING *`
      if (inserted.length > 0) await tx`SELECT pg_notify(${channel}, ${notification('import', instance)})`
      return { added: new Set(inserted.map(({ id }) => id)), state: row as StateRow }
    }), 'import versions')
    const fresh = batch.filter((item) => added.has(item.meta.id))
    if (fresh.length > 0) {
      const metas = fresh.map((item) => item.meta).sort(byIdOrder)
      // An import of a newer history appends; one of older versions has to be merged in.
      if ((metas[0] as VersionMeta).id > (versions[versions.length - 1]?.id ?? '')) append(metas)
      else replaceVersions([...versions, ...metas].sort(byIdOrder))
      const newest = fresh.find((item) => item.meta.id === versions[versions.length - 1]?.id)
      if (newest !== undefined) setLatest(newest)
    }
    applyState(state)
    return fresh.length
  })

  const importVersions = async (source: AsyncIterable<ImportedVersion> | Iterable<ImportedVersion>): Promise<ImportResult> => {
    const refused = refusal()
    if (refused !== null) throw refused
    let imported = 0
    let skipped = 0
    let batch: StoredVersion[] = []
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return
      const added = await importBatch(batch)
      imported += added
      skipped += batch.length - added
      batch = []
    }
    for await (const version of source) {
      if (!isVersionId(version.id) || !isPayload(version.payload) || !Number.isFinite(version.receivedAt)) {
        throw new StorageError('STORAGE_UNAVAILABLE', `not a version: ${JSON.stringify(version.id)}`)
      }
      if (byId.has(version.id) || batch.some((item) => item.meta.id === version.id)) {
        skipped++
        continue
      }
      const text = serialize(version.payload)
      batch.push({ meta: describeVersion(version.id, version.receivedAt, text, version.payload), payload: version.payload })
      if (batch.length >= IMPORT_BATCH) await flush()
    }
    await flush()
    return { imported, skipped }
  }

  // ---- health and close -----------------------------------------------------------------------

  let probing: Promise<boolean> | null = null
  /** Concurrent health checks share one round trip. */
  const probe = (): Promise<boolean> => {
    probing ??= withinDeadline(sql`SELECT 1`, 'answer', 3_000).then(() => true, () => false).finally(() => { probing = null })
    return probing
  }

  const health = async (): Promise<StorageHealth> => ({
    writable: !readOnly && !closing && await probe(),
    damaged: 0
  })

  const close = async (): Promise<void> => {
    if (closing) return
    closing = true
    for (const timer of [syncRetry, listenRetry]) if (timer !== null) clearTimeout(timer)
    await pipeline.drain()
    await cleanups.settled()
    if (cleanupUnwritten !== null) {
      await withinDeadline(sql`UPDATE state SET last_cleanup = greatest(last_cleanup, ${cleanupUnwritten})`, 'record the last clean-up time')
        .catch((error: unknown) => { log.warn({ err: error }, 'could not record the last clean-up time at close') })
    }
    listeners.clear()
    await Promise.allSettled([writer === sql ? null : writer.end({ timeout: 5 }), sql.end({ timeout: 5 })])
  }

  return {
    retention,
    alerts: postgresOutbox(sql, clock),
    save,
    latest: () => latest,
    list: () => versions,
    meta: (id) => byId.get(id) ?? null,
    get,
    statistics: currentStatistics,
    bytesStored: () => bytes,
    health,
    planRetention: (now = clock()) => planRetention(versions, now, retention),
    cleanup: cleanups.run,
    importVersions,
    onVersion: listeners.add,
    close
  }
}
