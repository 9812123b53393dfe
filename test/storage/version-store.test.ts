// What every VersionStore promises, whichever store is under it (test/lib/stores.ts; the
// conformance pass runs this file again on PostgreSQL): saving, duplicates, ids that sort in the
// order received (also when the clock steps back), concurrent saves, statistics, retention counted
// once, imports kept exactly (key order included) and idempotent, and all of it after a reopen.
import t from 'tap'
import { tempDir } from '../helper.js'
import { openTestStore, storedIds, storedStatistics } from '../lib/stores.js'
import { payloadFor } from './fixtures/folder.js'

t.test('saves: distinct ids in the order made, duplicates of the latest recognised, exact statistics', async (t) => {
  const dir = await tempDir(t)
  const store = await openTestStore(t, dir)
  const heard: string[] = []
  store.onVersion((version) => heard.push(version.meta.id))
  const results = await Promise.all(Array.from({ length: 100 }, (_, n) => store.save(payloadFor(n))))
  const ids = results.map((result) => result.version.id)
  t.equal(new Set(ids).size, 100, 'every id distinct')
  t.same([...ids].sort(), ids, 'ids sort in the order the saves were made')
  t.same(heard, ids, 'listeners hear every version once, in order')
  t.same(store.latest()?.payload, payloadFor(99))

  const again = await store.save(payloadFor(99))
  t.same({ duplicate: again.duplicate, id: again.version.id }, { duplicate: true, id: ids[99] }, 'the latest again is a duplicate')
  const reordered = Object.fromEntries(Object.entries(payloadFor(99)).reverse())
  t.equal((await store.save(reordered)).duplicate, true, 'also with its keys in another order')
  t.equal((await store.save(payloadFor(3))).duplicate, false, 'an older payload again is a new version')

  const expected = { versionCount: 101, totalVersionsCreated: 101, totalVersionsDeleted: 0 }
  t.match(store.statistics(), expected)
  t.same(await storedStatistics(t, dir, store), store.statistics(), 'the stored statistics say the same')
  t.same(await storedIds(t, dir), store.list().map((meta) => meta.id))
  t.equal(store.bytesStored(), store.list().reduce((sum, meta) => sum + meta.size, 0))
})

t.test('a clock that steps back still gives each new id above every earlier one', async (t) => {
  let now = Date.parse('2026-03-01T10:00:05.500Z')
  const store = await openTestStore(t, await tempDir(t), { clock: () => now })
  const first = await store.save(payloadFor(1))
  now -= 60_000
  const second = await store.save(payloadFor(2))
  t.ok(second.version.id > first.version.id, `${second.version.id} > ${first.version.id}`)
  t.match(second.version.id, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[0-9a-f]{8}$/)
})

t.test('a reopened store holds what was acknowledged: ids, receipt times, payloads, statistics', async (t) => {
  const dir = await tempDir(t)
  const store = await openTestStore(t, dir)
  const results = []
  for (let n = 0; n < 5; n++) results.push(await store.save(payloadFor(n)))
  const statistics = store.statistics()
  await store.close()

  const reopened = await openTestStore(t, dir)
  t.same(reopened.list().map((meta) => [meta.id, meta.receivedAt]), results.map(({ version }) => [version.id, version.receivedAt]))
  t.same(reopened.statistics(), statistics)
  t.same((await reopened.get(results[2]!.version.id))?.payload, payloadFor(2))
  t.equal((await reopened.save(payloadFor(4))).duplicate, true, 'the latest still counts as a duplicate')
  t.ok((await reopened.save(payloadFor(5))).version.id > results[4]!.version.id, 'new ids follow the old')
  t.equal(await reopened.get('2020-01-01T00-00-00-00000000'), null)
})

t.test('retention deletes what the plan says, counts each deletion once, never the newest', async (t) => {
  const dir = await tempDir(t)
  const store = await openTestStore(t, dir, { retention: { maxVersions: 3, days: 0 } })
  const ids = []
  for (let n = 0; n < 10; n++) ids.push((await store.save(payloadFor(n))).version.id)
  t.same(store.planRetention().deleted, ids.slice(0, 7))
  const results = await Promise.all([store.cleanup(), store.cleanup(), store.cleanup()])
  t.equal(results.reduce((sum, result) => sum + result.deleted, 0), 7, 'concurrent clean-ups delete each version once')
  t.same(store.list().map((meta) => meta.id), ids.slice(7))
  t.match(store.statistics(), { versionCount: 3, totalVersionsCreated: 10, totalVersionsDeleted: 7, lastCleanup: String })
  t.same(await storedIds(t, dir), ids.slice(7))
  t.match(await storedStatistics(t, dir, store), { versionCount: 3, totalVersionsCreated: 10, totalVersionsDeleted: 7 }, 'the stored statistics too')
  t.match(await store.cleanup(), { deleted: 0, kept: 3 })
})

t.test('imports keep ids, receipt times and payloads byte for byte; the same import again changes nothing', async (t) => {
  const dir = await tempDir(t)
  const store = await openTestStore(t, dir)
  // Keys in an order no canonical form would choose, a nested object, a unicode text.
  const payload = { lastUpdated: '2026-01-02T00:00:00Z', weeklyLimits: { sonnetOnly: { resetsIn: 'Sat', percentageUsed: 1.5 }, allModels: { resetsIn: 'Thu 7:00 AM ☕', percentageUsed: 31 } }, currentSession: { resetsIn: '1 hr', percentageUsed: 0 } }
  const versions = [
    { id: '2026-01-02T00-00-00-0000abcd', receivedAt: Date.parse('2026-01-02T00:00:00.250Z'), payload },
    { id: '2026-01-02T00-05-00-ca7d685a', receivedAt: Date.parse('2026-01-02T00:05:00Z'), payload: payloadFor(7) }
  ]
  t.same(await store.importVersions(versions), { imported: 2, skipped: 0 })
  t.same(await store.importVersions(versions), { imported: 0, skipped: 2 })
  await store.close()

  const reopened = await openTestStore(t, dir)
  const got = await reopened.get(versions[0]!.id)
  t.equal(JSON.stringify(got?.payload), JSON.stringify(payload), 'the payload comes back as sent, key order included')
  t.same(reopened.list().map((meta) => [meta.id, meta.receivedAt]), versions.map((v) => [v.id, v.receivedAt]))
  t.match(reopened.statistics(), { versionCount: 2, totalVersionsCreated: 2 })
  const after = await reopened.save(payloadFor(8))
  t.ok(after.version.id > versions[1]!.id, 'a new version sorts after the imported ones')
})

t.test('a closed store refuses writes', async (t) => {
  const store = await openTestStore(t, await tempDir(t))
  await store.save(payloadFor(1))
  await store.close()
  await t.rejects(store.save(payloadFor(2)), { code: 'STORAGE_UNAVAILABLE' })
  await t.rejects(store.cleanup(), { code: 'STORAGE_UNAVAILABLE' })
})
