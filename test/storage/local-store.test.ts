// Saving, duplicates, concurrent saves and the statistics, checked against the folder on disk.
import t from 'tap'
import { readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { HISTORY, LATEST, derivedFilesFollow, idsOnDisk, metadataOnDisk, openStore, payloadFor, readJson, versionPath } from './fixtures/folder.js'

t.test('a saved version is a file named by its id, holding the payload, and counted', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const before = Date.now()
  const { version, duplicate } = await store.save(payloadFor(1))
  t.equal(duplicate, false)
  t.same(await idsOnDisk(dir), [version.id])
  t.same(await readJson(versionPath(dir, version.id)), payloadFor(1))
  t.ok(await derivedFilesFollow(dir, store), 'the statistics and the latest file follow the answer')
  t.same(await readJson(join(dir, LATEST)), payloadFor(1))
  t.ok(version.receivedAt >= before && version.receivedAt <= Date.now())
  t.equal(version.lastUpdated, payloadFor(1).lastUpdated)
  t.equal(version.numbers['currentSession.percentageUsed'], 1)
  const onDisk = await metadataOnDisk(dir)
  t.same(onDisk, store.statistics())
  t.match(onDisk, {
    versionCount: 1,
    oldestTimestamp: new Date(version.receivedAt).toISOString(),
    newestTimestamp: new Date(version.receivedAt).toISOString(),
    totalVersionsCreated: 1,
    totalVersionsDeleted: 0
  })
  t.same((await store.get(version.id))?.payload, payloadFor(1))
  t.equal(await store.get('2020-01-01T00-00-00-00000000'), null)
})

t.test('the same payload as the latest is a duplicate: nothing is stored', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const first = await store.save(payloadFor(1))
  const statistics = store.statistics()
  const again = await store.save(payloadFor(1))
  t.equal(again.duplicate, true)
  t.equal(again.version.id, first.version.id, 'answers with the version already stored')
  // The same fields in another order are the same payload.
  const reordered = Object.fromEntries(Object.entries(payloadFor(1)).reverse())
  t.equal((await store.save(reordered)).duplicate, true)
  t.same(await idsOnDisk(dir), [first.version.id])
  t.same(store.statistics(), statistics)
  t.ok(await derivedFilesFollow(dir, store), 'the statistics and the latest file follow the answer')
  t.same(await metadataOnDisk(dir), statistics)

  // Equal to an older version but not to the latest: a new version.
  await store.save(payloadFor(2))
  const back = await store.save(payloadFor(1))
  t.equal(back.duplicate, false)
  t.equal((await idsOnDisk(dir)).length, 3)

  // Two identical saves at once store one version.
  const [a, b] = await Promise.all([store.save(payloadFor(3)), store.save(payloadFor(3))])
  t.equal(a.duplicate, false)
  t.equal(b.duplicate, true)
  t.equal(b.version.id, a.version.id)
  t.equal((await idsOnDisk(dir)).length, 4)

  // After a restart the latest still counts.
  await store.close()
  const reopened = await openStore(t, dir)
  t.equal((await reopened.save(payloadFor(3))).duplicate, true)
  t.equal((await idsOnDisk(dir)).length, 4)
})

t.test('500 concurrent saves: distinct ids, exact statistics, the newest payload latest', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const seen: string[] = []
  store.onVersion((version) => seen.push(version.meta.id))
  const count = 500
  const results = await Promise.all(Array.from({ length: count }, (_, n) => store.save(payloadFor(n))))
  const ids = results.map((result) => result.version.id)
  t.equal(new Set(ids).size, count, 'every id distinct')
  t.same([...ids].sort(), ids, 'ids sort in the order the saves were made')
  t.ok(results.every((result) => !result.duplicate))
  t.same(await idsOnDisk(dir), ids, 'one file per version, nothing else named like one')
  t.same(store.list().map((meta) => meta.id), ids)
  t.same(seen, ids, 'listeners hear every version once, in order')
  const expected = { versionCount: count, totalVersionsCreated: count, totalVersionsDeleted: 0 }
  t.match(store.statistics(), expected)
  t.ok(await derivedFilesFollow(dir, store), 'the statistics and the latest file follow the answer')
  t.match(await metadataOnDisk(dir), expected)
  t.same(await metadataOnDisk(dir), store.statistics())
  t.same(await readJson(join(dir, LATEST)), payloadFor(count - 1))
  t.same(store.latest()?.payload, payloadFor(count - 1))
  const sample = [0, 17, 250, 499]
  for (const n of sample) {
    t.same(await readJson(versionPath(dir, ids[n] as string)), payloadFor(n), `version ${n} holds its payload`)
  }
  t.equal(store.bytesStored(), store.list().reduce((sum, meta) => sum + meta.size, 0))

  await store.close()
  const reopened = await openStore(t, dir)
  t.same(reopened.list().map((meta) => meta.id), ids, 'a restart finds them all')
  t.same(reopened.list().map((meta) => meta.receivedAt), results.map((result) => result.version.receivedAt),
    'with their receipt times to the millisecond')
  t.same(reopened.statistics(), await metadataOnDisk(dir))
})

t.test('the statistics after a restart equal the folder, whatever was done by hand', async (t) => {
  const dir = await tempDir(t)
  let store = await openStore(t, dir)
  for (let n = 0; n < 5; n++) await store.save(payloadFor(n))
  const ids = store.list().map((meta) => meta.id)
  await store.close()

  // While closed: one version added by hand (older than the rest), one removed by hand.
  const handMade = '2026-01-02T03-04-05-0000abcd'
  await writeFile(versionPath(dir, handMade), JSON.stringify(payloadFor(100), null, 2))
  await unlink(versionPath(dir, ids[2] as string))

  store = await openStore(t, dir)
  const onDisk = await idsOnDisk(dir)
  t.same(store.list().map((meta) => meta.id), onDisk)
  t.equal(onDisk.length, 5)
  t.equal(store.meta(handMade)?.receivedAt, Date.parse('2026-01-02T03:04:05Z'), 'a file without a receipt time is dated by its name')
  t.same((await store.get(handMade))?.payload, payloadFor(100))
  t.equal(store.meta(ids[2] as string), null)
  const statistics = store.statistics()
  t.match(statistics, {
    versionCount: 5,
    oldestTimestamp: '2026-01-02T03:04:05.000Z',
    newestTimestamp: new Date(store.list()[4]?.receivedAt as number).toISOString(),
    totalVersionsCreated: 5,
    totalVersionsDeleted: 0
  })
  t.same(await metadataOnDisk(dir), statistics, 'and the file says so before the first request')
  await store.close()

  // Index gone too: the same picture, from the version files alone.
  await rm(join(dir, HISTORY, '.index.ndjson'), { force: true })
  store = await openStore(t, dir)
  t.same(store.list().map((meta) => meta.id), onDisk)
  t.same(store.statistics(), statistics)
  await store.close()

  // The lifetime total of created versions is raised to at least count + deleted, never lowered.
  const metadataFile = join(dir, HISTORY, '_metadata.json')
  await writeFile(metadataFile, JSON.stringify({ ...statistics, totalVersionsCreated: 2, totalVersionsDeleted: 7 }))
  store = await openStore(t, dir)
  t.match(store.statistics(), { versionCount: 5, totalVersionsCreated: 12, totalVersionsDeleted: 7 })
  t.match(await metadataOnDisk(dir), { totalVersionsCreated: 12, totalVersionsDeleted: 7 })
  await store.close()
  await writeFile(metadataFile, JSON.stringify({ ...statistics, totalVersionsCreated: 40, totalVersionsDeleted: 7 }))
  store = await openStore(t, dir)
  t.match(store.statistics(), { versionCount: 5, totalVersionsCreated: 40, totalVersionsDeleted: 7 })
  await store.save(payloadFor(200))
  t.ok(await derivedFilesFollow(dir, store), 'the statistics and the latest file follow the answer')
  t.match(await metadataOnDisk(dir), { versionCount: 6, totalVersionsCreated: 41, totalVersionsDeleted: 7 })
})

t.test('an empty folder opens empty, and a closed store refuses saves', async (t) => {
  const dir = join(await tempDir(t), 'not-yet')
  const store = await openStore(t, dir)
  t.equal(store.latest(), null)
  t.same(store.list(), [])
  t.match(store.statistics(), { versionCount: 0, oldestTimestamp: null, newestTimestamp: null, totalVersionsCreated: 0 })
  t.same(await store.health(), { writable: true, damaged: 0 })
  await store.close()
  // Once closed the lock is free for another process: nothing may write any more.
  await t.rejects(store.save(payloadFor(1)), { code: 'STORAGE_UNAVAILABLE', statusCode: 503 })
  await t.rejects(store.cleanup(), { code: 'STORAGE_UNAVAILABLE' })
  await t.rejects(store.importVersions([{ id: '2026-01-01T00-00-00-00000001', receivedAt: Date.parse('2026-01-01T00:00:00Z'), payload: payloadFor(1) }]),
    { code: 'STORAGE_UNAVAILABLE' })
  t.same(await idsOnDisk(dir), [])
  t.same(await metadataOnDisk(dir), store.statistics(), 'the statistics were not touched after close')
  t.equal(await readFile(join(dir, LATEST), 'utf8').catch(() => null), null, 'no latest file without a version')
})

t.test('a listener that throws neither breaks the store nor silences the others', async (t) => {
  const dir = await tempDir(t)
  const errors: unknown[] = []
  const log = { info: () => {}, warn: () => {}, error: (fields: object) => { errors.push(fields) } }
  const store = await openStore(t, dir, { log })
  const heard: string[] = []
  store.onVersion(() => { throw new Error('listener failed') })
  const stop = store.onVersion((version) => heard.push(version.meta.id))
  const results = await Promise.all([store.save(payloadFor(1)), store.save(payloadFor(2))])
  const third = await store.save(payloadFor(3))
  t.same(heard, [...results.map((result) => result.version.id), third.version.id])
  t.equal(errors.length, 3, 'each failure is logged')
  stop()
  await store.save(payloadFor(4))
  t.equal(heard.length, 3, 'a stopped listener hears no more')
  t.equal((await idsOnDisk(dir)).length, 4)
})
