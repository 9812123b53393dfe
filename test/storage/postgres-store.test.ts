// The PostgreSQL store against a real server: what one instance keeps, and what several instances on
// one database see of each other (ids, duplicates, statistics, deletions, notifications).
import t from 'tap'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageError } from '../../src/storage/errors.js'
import { openStore } from '../../src/storage/open-store.js'
import { idSecond } from '../../src/storage/ids.js'
import type { Payload, VersionMeta } from '../../src/storage/types.js'
import { freshSchema, query, testDatabaseUrl } from '../lib/postgres.js'
import { openPostgresStore, quietLog, until } from './postgres-helper.js'

const url = await testDatabaseUrl()

const snapshot = (n: number): Payload => ({
  // Keys deliberately out of alphabetical order: they must come back as sent.
  weeklyLimits: { allModels: { resetsIn: 'Thu 7:00 AM', percentageUsed: 31 } },
  currentSession: { resetsIn: '2 hr', percentageUsed: n },
  lastUpdated: '2026-01-25T03:17:41Z'
})

const ascending = (metas: readonly VersionMeta[]): boolean => metas.every((meta, index) => {
  const before = metas[index - 1]
  return before === undefined || (before.id < meta.id && before.receivedAt <= meta.receivedAt)
})

t.test('stores, reads back exactly as sent, and keeps it all across a restart', async (t) => {
  const schema = freshSchema(t, url)
  const store = await openPostgresStore(t, url, schema)
  const first = await store.save(snapshot(1))
  const second = await store.save(snapshot(2))
  t.equal(first.duplicate, false)
  t.ok(second.version.id > first.version.id)
  t.same(store.list().map((meta) => meta.id), [first.version.id, second.version.id])
  t.equal(JSON.stringify((await store.get(first.version.id))?.payload), JSON.stringify(snapshot(1)), 'key order kept')
  t.match(store.statistics(), { versionCount: 2, totalVersionsCreated: 2, totalVersionsDeleted: 0, newestTimestamp: new Date(second.version.receivedAt).toISOString() })
  await store.close()

  const again = await openPostgresStore(t, url, schema)
  t.same(again.list(), store.list(), 'the same metadata after a restart')
  t.equal(JSON.stringify(again.latest()?.payload), JSON.stringify(snapshot(2)))
  t.same(again.statistics(), store.statistics())
  t.equal(again.bytesStored(), store.bytesStored())
  const third = await again.save(snapshot(3))
  t.ok(third.version.id > second.version.id, 'ids go on growing after a restart')
})

t.test('a duplicate of the latest is recognised whichever instance received either', async (t) => {
  const schema = freshSchema(t, url)
  const a = await openPostgresStore(t, url, schema)
  const b = await openPostgresStore(t, url, schema)
  const stored = await a.save(snapshot(1))
  const again = await b.save(snapshot(1))
  t.same(again, { version: stored.version, duplicate: true }, 'B recognises what A stored')
  // B stores another; A, whether or not it has heard yet, must compare with that one.
  const other = await b.save(snapshot(2))
  const onA = await a.save(snapshot(2))
  t.same(onA, { version: other.version, duplicate: true })
  const back = await a.save(snapshot(1))
  t.equal(back.duplicate, false, 'equal to an older version only: stored')
  t.equal(a.statistics().totalVersionsCreated, 3)
})

t.test('ids grow across instances, even when one clock is behind', async (t) => {
  const schema = freshSchema(t, url)
  const ahead = await openPostgresStore(t, url, schema, { clock: () => Date.now() + 3_600_000 })
  const behind = await openPostgresStore(t, url, schema, { clock: () => Date.now() - 3_600_000 })
  const first = await ahead.save(snapshot(1))
  const second = await behind.save(snapshot(2))
  t.ok(second.version.id > first.version.id, 'the later id is greater')
  t.ok(second.version.receivedAt >= first.version.receivedAt, 'and its receipt time is held at the last one')
  t.equal(idSecond(second.version.id), Math.floor(second.version.receivedAt / 1000) * 1000, 'the id names its receipt second')
})

t.test('concurrent saves on two instances: each stored once, in one order, counted exactly', async (t) => {
  const schema = freshSchema(t, url)
  const a = await openPostgresStore(t, url, schema)
  const b = await openPostgresStore(t, url, schema)
  const heardOnB: string[] = []
  b.onVersion((version) => heardOnB.push(version.meta.id))
  const results = await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? a : b).save(snapshot(100 + n))))
  const ids = results.map((result) => result.version.id)
  t.equal(new Set(ids).size, 40, 'forty distinct versions')
  t.ok(results.every((result) => !result.duplicate))
  await until(() => a.list().length === 40 && b.list().length === 40)
  t.same(a.list(), b.list(), 'both instances see the same history')
  t.ok(ascending(a.list()), 'ids and receipt times grow together')
  t.same([...heardOnB].sort(), heardOnB, 'B heard every version in id order')
  t.same(heardOnB, [...ids].sort(), 'including those A stored')
  t.match(b.statistics(), { versionCount: 40, totalVersionsCreated: 40 })
  for (const result of results) t.ok(await b.get(result.version.id), 'every version readable from either')
})

t.test('clean-ups started on two instances at once delete and count each version once', async (t) => {
  const schema = freshSchema(t, url)
  const retention = { maxVersions: 3, days: 0 }
  const a = await openPostgresStore(t, url, schema, { retention })
  const b = await openPostgresStore(t, url, schema, { retention })
  for (let n = 0; n < 10; n++) await a.save(snapshot(n))
  await until(() => b.list().length === 10)
  const [onA, onB] = await Promise.all([a.cleanup(), b.cleanup()])
  t.equal(onA.deleted + onB.deleted, 7, 'seven deleted in all')
  t.equal(a.list().length, 3)
  t.match(a.statistics(), { versionCount: 3, totalVersionsCreated: 10, totalVersionsDeleted: 7 })
  t.not(a.statistics().lastCleanup, null)
  const c = await openPostgresStore(t, url, schema, { retention })
  t.same(c.statistics(), { ...a.statistics(), lastCleanup: c.statistics().lastCleanup }, 'the database holds the same statistics')
  t.same(c.list(), a.list())
})

t.test('a deletion by another instance reaches this one', async (t) => {
  const schema = freshSchema(t, url)
  const a = await openPostgresStore(t, url, schema, { retention: { maxVersions: 1, days: 0 } })
  const b = await openPostgresStore(t, url, schema)
  await a.save(snapshot(1))
  const kept = await a.save(snapshot(2))
  await until(() => b.list().length === 2)
  t.equal((await a.cleanup()).deleted, 1)
  await until(() => b.list().length === 1)
  t.same(b.list().map((meta) => meta.id), [kept.version.id])
  t.match(b.statistics(), { versionCount: 1, totalVersionsDeleted: 1 })
})

t.test('import keeps ids and receipt times, changes nothing the second time, and later ids stay greater', async (t) => {
  const schema = freshSchema(t, url)
  const store = await openPostgresStore(t, url, schema)
  const soon = Date.now() + 30_000
  const versions = [
    { id: '2026-01-25T16-32-31-ca7d685a', receivedAt: Date.parse('2026-01-25T16:32:31.412Z'), payload: snapshot(1) },
    { id: new Date(soon).toISOString().slice(0, 19).replaceAll(':', '-') + '-ffffff00', receivedAt: soon, payload: snapshot(2) }
  ]
  t.same(await store.importVersions(versions), { imported: 2, skipped: 0 })
  t.same(await store.importVersions(versions), { imported: 0, skipped: 2 })
  t.same(store.list().map((meta) => [meta.id, meta.receivedAt]), versions.map((version) => [version.id, version.receivedAt]))
  t.match(store.statistics(), { versionCount: 2, totalVersionsCreated: 2 })
  const next = await store.save(snapshot(3))
  t.ok(next.version.id > (versions[1] as { id: string }).id, 'a new id is greater than the imported one')
  await t.rejects(store.importVersions([{ id: 'not-an-id', receivedAt: 0, payload: {} }]), StorageError)
})

t.test('a dropped connection loses nothing: the instance listens again and catches up', async (t) => {
  const schema = freshSchema(t, url)
  const a = await openPostgresStore(t, url, schema)
  const b = await openPostgresStore(t, url, schema)
  const heard: string[] = []
  b.onVersion((version) => heard.push(version.meta.id))
  // The writing (and listening) connections are cut, so B's notification of what A stores next is lost.
  await query(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'usage-vault writer'")
  // A save on a connection cut before the store noticed may fail (503); the scraper sends it again.
  let stored = null
  for (let attempt = 1; stored === null; attempt++) {
    stored = await a.save(snapshot(7)).catch((error: unknown) => { if (attempt === 5) throw error; return null })
  }
  await until(() => heard.includes(stored.version.id))
  t.same(b.list().map((meta) => meta.id), [stored.version.id])
  t.same(b.latest()?.payload, snapshot(7))
})

t.test('an instance older than the schema refuses to start, naming both versions', async (t) => {
  const schema = freshSchema(t, url)
  const store = await openPostgresStore(t, url, schema)
  await store.close()
  await query(url, `INSERT INTO "${schema}".schema_version (version, name) VALUES (99, 'from the future')`)
  await t.rejects(openPostgresStore(t, url, schema), /version 99, newer than this code's version 1/)
})

t.test('an unreachable server is retried, then named without its password', async (t) => {
  const unreachable = new URL(url)
  unreachable.port = '1'
  unreachable.password = 'secret-password'
  const started = Date.now()
  const failure = await openPostgresStore(t, url, freshSchema(t, url), { url: unreachable.toString(), connectTimeoutMs: 600 }).then(() => null, (error: unknown) => error as Error)
  t.match(failure?.message, /DATABASE_URL/)
  t.notMatch(failure?.message, /secret-password/)
  t.ok(Date.now() - started >= 600, 'it kept trying for the time given')
})

t.test('the alert outbox: recorded once, and claimed by one instance at a time', async (t) => {
  const schema = freshSchema(t, url)
  const a = await openPostgresStore(t, url, schema)
  const b = await openPostgresStore(t, url, schema)
  const alert = {
    id: 'threshold-weekly-80', kind: 'threshold', limit: 'weeklyAllModels', threshold: 80, percentageUsed: 81,
    resetsAt: null, projectedFullAt: null, versionId: null, message: 'weekly 81 %', createdAt: new Date().toISOString(),
    attempts: 0, nextAttemptAt: 0, deliveredAt: null, lastError: null
  }
  t.same(await Promise.all([a.alerts.add(alert), b.alerts.add(alert)]).then((added) => added.filter(Boolean).length), 1)
  const claims = await Promise.all([a.alerts.claim(alert.id, 60_000), b.alerts.claim(alert.id, 60_000)])
  t.equal(claims.filter((claim) => claim !== null).length, 1, 'one of two instances gets it')
  await a.alerts.settle(alert.id, { attempts: 1, nextAttemptAt: null, deliveredAt: new Date().toISOString(), lastError: null })
  t.same(await b.alerts.pending(), [])
  t.match(await b.alerts.recent(5), [{ id: alert.id, attempts: 1 }])
})

t.test('openStore picks the database when given a URL, and then leaves the data folder alone', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'usage-vault-pg-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const schema = freshSchema(t, url)
  const options = { databaseUrl: url, databaseSchema: schema, dataDir, retention: { maxVersions: 10, days: 1 }, log: quietLog }
  const store = await openStore(options)
  t.teardown(() => store.close())
  const { version } = await store.save(snapshot(1))
  t.same(await readdir(dataDir), [], 'nothing written to the folder')
  const other = await openStore(options)
  t.teardown(() => other.close())
  t.same(other.list().map((meta) => meta.id), [version.id], 'a second instance sees it')
  const folder = await openStore({ ...options, databaseUrl: undefined })
  t.teardown(() => folder.close())
  t.same(folder.list(), [], 'without a URL: the folder store, on its own history')
})
