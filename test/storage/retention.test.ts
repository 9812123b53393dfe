// Retention against an oracle written here from the contract's sentence: "a version is deleted when
// it is neither among the newest RETENTION_MAX_VERSIONS nor received within RETENTION_DAYS of now.
// The newest version is never deleted." Checked for the dry run and for the clean-up on disk.
import t from 'tap'
import { formatId } from '../../src/storage/ids.js'
import type { ImportedVersion, RetentionPolicy } from '../../src/storage/index.js'
import { tempDir } from '../helper.js'
import { idsOnDisk, metadataOnDisk, openStore, payloadFor } from './fixtures/folder.js'

const DAY = 24 * 60 * 60 * 1000
const NOW = Date.parse('2026-03-31T12:00:00.000Z')

/** 121 versions, one every 6 hours over 30 days, plus one exactly on a 7-day boundary. */
function history (): ImportedVersion[] {
  const times = Array.from({ length: 120 }, (_, k) => NOW - 30 * DAY + k * 6 * 60 * 60 * 1000 + 123)
  times.push(NOW - 7 * DAY)
  times.sort((a, b) => a - b)
  return times.map((receivedAt, k) => ({
    id: formatId(Math.floor(receivedAt / 1000) * 1000, 0x100 + k),
    receivedAt,
    payload: payloadFor(k)
  }))
}

interface Expected { kept: Map<string, string[]>, deleted: string[] }

function oracle (versions: ImportedVersion[], now: number, policy: RetentionPolicy): Expected {
  const newestFirst = [...versions].sort((a, b) => b.receivedAt - a.receivedAt)
  const newest = newestFirst[0]?.id
  const amongNewestN = new Set(newestFirst.slice(0, policy.maxVersions).map((version) => version.id))
  const kept = new Map<string, string[]>()
  const deleted: string[] = []
  for (const version of versions) {
    const reasons: string[] = []
    if (version.id === newest) reasons.push('newest')
    if (amongNewestN.has(version.id)) reasons.push('last-N')
    if (now - version.receivedAt <= policy.days * DAY) reasons.push('within-D-days')
    if (reasons.length === 0) deleted.push(version.id)
    else kept.set(version.id, reasons)
  }
  return { kept, deleted }
}

const policies: RetentionPolicy[] = [
  { maxVersions: 100, days: 7 },
  { maxVersions: 10, days: 7 },
  { maxVersions: 40, days: 3 },
  { maxVersions: 1, days: 0 },
  { maxVersions: 200, days: 0 },
  { maxVersions: 5, days: 30 },
  { maxVersions: 1, days: 2.5 }
]

for (const policy of policies) {
  t.test(`retention keeps the newest ${policy.maxVersions} and the last ${policy.days} days`, async (t) => {
    const dir = await tempDir(t)
    const versions = history()
    const expected = oracle(versions, NOW, policy)
    const store = await openStore(t, dir, { retention: policy, clock: () => NOW })
    t.same(await store.importVersions(versions), { imported: versions.length, skipped: 0 })
    t.same(await idsOnDisk(dir), versions.map((version) => version.id))

    const plan = store.planRetention(NOW)
    t.same(plan.policy, policy)
    t.same(plan.deleted, expected.deleted, 'the dry run deletes what the oracle deletes')
    t.same(new Map(plan.kept.map((item) => [item.id, item.reasons])), expected.kept, 'and keeps the rest, for the same reasons')
    t.same(await idsOnDisk(dir), versions.map((version) => version.id), 'a dry run changes nothing')
    t.same(store.planRetention(), plan, 'now is the store\'s clock by default')

    const result = await store.cleanup()
    t.match(result, { deleted: expected.deleted.length, kept: expected.kept.size })
    const keptIds = [...expected.kept.keys()]
    t.same(await idsOnDisk(dir), keptIds, 'the files left are the ones kept')
    t.same(store.list().map((meta) => meta.id), keptIds)
    t.ok(keptIds.includes(versions[versions.length - 1]?.id as string), 'the newest is never deleted')
    const first = versions.find((version) => version.id === keptIds[0]) as ImportedVersion
    const statistics = {
      versionCount: keptIds.length,
      oldestTimestamp: new Date(first.receivedAt).toISOString(),
      newestTimestamp: new Date((versions[versions.length - 1] as ImportedVersion).receivedAt).toISOString(),
      lastCleanup: new Date(NOW).toISOString(),
      totalVersionsCreated: versions.length,
      totalVersionsDeleted: expected.deleted.length
    }
    t.same(store.statistics(), statistics)
    // A clean-up that deletes nothing may leave its time to the next write of the statistics.
    const { lastCleanup, ...counts } = await metadataOnDisk(dir)
    const { lastCleanup: cleanedAt, ...expectedCounts } = statistics
    t.same(counts, expectedCounts, 'the file counts what is on disk')
    if (expected.deleted.length > 0) t.equal(lastCleanup, cleanedAt, 'and was written before any file went')

    // Again: nothing more to delete; concurrent calls share runs and delete nothing twice.
    const again = await Promise.all([store.cleanup(), store.cleanup(), store.cleanup()])
    t.same(again.map((run) => run.deleted), [0, 0, 0])
    t.equal(store.statistics().totalVersionsDeleted, expected.deleted.length)

    await store.close()
    const reopened = await openStore(t, dir, { retention: policy, clock: () => NOW })
    t.same(reopened.list().map((meta) => meta.id), keptIds)
    t.same(reopened.statistics(), statistics, 'the statistics survive a restart, the clean-up time too')
    t.same(await metadataOnDisk(dir), statistics)
  })
}

t.test('concurrent clean-ups delete each version once', async (t) => {
  const dir = await tempDir(t)
  const policy = { maxVersions: 10, days: 1 }
  const versions = history()
  const expected = oracle(versions, NOW, policy)
  const store = await openStore(t, dir, { retention: policy, clock: () => NOW })
  await store.importVersions(versions)
  const runs = await Promise.all(Array.from({ length: 5 }, () => store.cleanup()))
  t.equal(runs.reduce((sum, run) => sum + run.deleted, 0), expected.deleted.length)
  t.equal(store.statistics().totalVersionsDeleted, expected.deleted.length)
  t.same(await idsOnDisk(dir), [...expected.kept.keys()])
})

t.test('a single version is kept however strict the policy', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir, { retention: { maxVersions: 1, days: 0 }, clock: () => NOW })
  await store.importVersions([{ id: formatId(NOW - 90 * DAY, 1), receivedAt: NOW - 90 * DAY, payload: payloadFor(1) }])
  t.same(store.planRetention().kept, [{ id: formatId(NOW - 90 * DAY, 1), reasons: ['newest', 'last-N'] }])
  t.match(await store.cleanup(), { deleted: 0, kept: 1 })
  t.equal((await idsOnDisk(dir)).length, 1)
})
