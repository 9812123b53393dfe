// Opening a folder as it is found: the earlier server's, one with damaged files, one with leftovers
// of interrupted writes and files the store does not know.
import t from 'tap'
import { chmod, cp, mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { EARLIER_ID, EARLIER_RECEIVED_AT, EARLIER_SERVER_DIR as EARLIER } from '../fixtures/earlier-server.js'
import {
  HISTORY, LATEST, derivedFilesFollow, historyNames, idsOnDisk, metadataOnDisk, openStore, payloadFor, readJson, versionPath
} from './fixtures/folder.js'


/** A writable copy of the earlier server's folder, as an operator would point DATA_DIR at it. */
async function earlierFolder (t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = await tempDir(t)
  await cp(EARLIER, dir, { recursive: true })
  await chmod(dir, 0o755)
  await chmod(join(dir, HISTORY), 0o755)
  for (const name of await readdir(join(dir, HISTORY))) await chmod(join(dir, HISTORY, name), 0o644)
  await chmod(join(dir, LATEST), 0o644)
  return dir
}

t.test('the earlier server\'s folder opens as it is', async (t) => {
  const dir = await earlierFolder(t)
  const versionBytes = await readFile(versionPath(dir, EARLIER_ID))
  const latestBytes = await readFile(join(dir, LATEST))
  const latestMtime = (await stat(join(dir, LATEST))).mtimeMs
  const namesBefore = await historyNames(dir)
  const metadataBefore = await metadataOnDisk(dir)

  const store = await openStore(t, dir)
  t.same(store.list().map((meta) => meta.id), [EARLIER_ID])
  t.equal(store.meta(EARLIER_ID)?.receivedAt, Date.parse(EARLIER_RECEIVED_AT), 'received at the time in its name')
  t.same(store.latest()?.payload, JSON.parse(versionBytes.toString()))
  t.match(store.statistics(), {
    versionCount: 1,
    oldestTimestamp: EARLIER_RECEIVED_AT,
    newestTimestamp: EARLIER_RECEIVED_AT,
    lastCleanup: null,
    totalVersionsCreated: metadataBefore.totalVersionsCreated,
    totalVersionsDeleted: metadataBefore.totalVersionsDeleted
  })
  t.same(await metadataOnDisk(dir), store.statistics())
  t.same(await store.health(), { writable: true, damaged: 0 })
  await store.close()

  t.same(await readFile(versionPath(dir, EARLIER_ID)), versionBytes, 'the version file is untouched')
  t.same(await readFile(join(dir, LATEST)), latestBytes, 'the latest file, which matched, is untouched')
  t.equal((await stat(join(dir, LATEST))).mtimeMs, latestMtime, 'not even rewritten')
  t.same(await historyNames(dir), [...namesBefore, '.index.ndjson'].sort(), 'only the store\'s own index was added')
  t.same((await readdir(dir)).sort(), [HISTORY, LATEST].sort(), 'and the lock is gone after close')
})

t.test('the earlier server\'s totals carry on, and new ids follow its id', async (t) => {
  const dir = await earlierFolder(t)
  const metadataFile = join(dir, HISTORY, '_metadata.json')
  await writeFile(metadataFile, JSON.stringify({ ...await metadataOnDisk(dir), totalVersionsCreated: 57, totalVersionsDeleted: 56 }, null, 2))
  // A clock in the same second as the earlier version: the new id still sorts after it.
  const store = await openStore(t, dir, { clock: () => Date.parse(EARLIER_RECEIVED_AT) + 500 })
  const { version } = await store.save(payloadFor(1))
  t.ok(version.id > EARLIER_ID)
  t.same(await idsOnDisk(dir), [EARLIER_ID, version.id])
  t.ok(await derivedFilesFollow(dir, store), 'the statistics and the latest file follow')
  t.match(await metadataOnDisk(dir), { versionCount: 2, totalVersionsCreated: 58, totalVersionsDeleted: 56 })
  t.same(await readJson(join(dir, LATEST)), payloadFor(1))
})

t.test('a latest file that does not hold the newest version is rewritten from it', async (t) => {
  const dir = await earlierFolder(t)
  await writeFile(join(dir, LATEST), JSON.stringify({ lastUpdated: '2025-12-31T00:00:00Z', currentSession: { resetsIn: '1 min', percentageUsed: 1 } }))
  const store = await openStore(t, dir)
  t.same(await readJson(join(dir, LATEST)), store.latest()?.payload)
  t.same(await readJson(join(dir, LATEST)), await readJson(versionPath(dir, EARLIER_ID)))
})

t.test('damaged files are moved to _damaged/, reported, and the rest is served', async (t) => {
  const dir = await tempDir(t)
  let store = await openStore(t, dir)
  const ids: string[] = []
  for (let n = 0; n < 8; n++) ids.push((await store.save(payloadFor(n))).version.id)
  await store.close()
  const [truncated, garbage, empty, array, intact, sameSize, , newest] = ids as [string, string, string, string, string, string, string, string]
  await truncate(versionPath(dir, truncated), 20)
  await writeFile(versionPath(dir, garbage), 'this is not json at all')
  await writeFile(versionPath(dir, empty), '')
  await writeFile(versionPath(dir, array), '[1, 2, 3]')
  await truncate(versionPath(dir, newest), 30)
  // Garbage of the very same size: the index cannot tell, so it is found when read.
  const size = (await stat(versionPath(dir, sameSize))).size
  await writeFile(versionPath(dir, sameSize), '#'.repeat(size))
  await writeFile(join(dir, HISTORY, '_metadata.json'), '{"versionCount": 8, "totalVers')
  await writeFile(join(dir, LATEST), '')

  store = await openStore(t, dir)
  const survivors = [intact, sameSize, ids[6] as string]
  t.same(store.list().map((meta) => meta.id), survivors)
  t.same(await idsOnDisk(dir), survivors, 'the damaged ones left the history')
  t.same((await readdir(join(dir, HISTORY, '_damaged'))).sort(),
    [truncated, garbage, empty, array, newest].map((id) => `${id}.json`).concat('_metadata.json').sort())
  t.same(await store.health(), { writable: true, damaged: 6 })
  t.equal(store.latest()?.meta.id, ids[6], 'the newest readable version is the latest')
  t.same(await readJson(join(dir, LATEST)), payloadFor(6), 'the empty latest file is rebuilt')
  t.match(store.statistics(), { versionCount: 3, totalVersionsCreated: 3, totalVersionsDeleted: 0 })
  t.same(await metadataOnDisk(dir), store.statistics(), 'the garbage statistics are rebuilt from the folder')
  t.same((await store.get(intact))?.payload, payloadFor(4))

  t.equal(await store.get(sameSize), null, 'damaged on read: absent')
  t.same(store.list().map((meta) => meta.id), [intact, ids[6]])
  t.same(await idsOnDisk(dir), [intact, ids[6]])
  t.equal((await store.health()).damaged, 7)
  t.ok((await readdir(join(dir, HISTORY, '_damaged'))).includes(`${sameSize}.json`))
  t.ok(await derivedFilesFollow(dir, store), 'the statistics and the latest file follow')
  t.match(await metadataOnDisk(dir), { versionCount: 2 })

  // It goes on storing.
  const { version } = await store.save(payloadFor(9))
  t.same(await idsOnDisk(dir), [intact, ids[6], version.id])
  t.ok(await derivedFilesFollow(dir, store), 'the statistics and the latest file follow')
  t.match(await metadataOnDisk(dir), { versionCount: 3 })
})

t.test('a damaged file moved aside never overwrites one moved earlier', async (t) => {
  const dir = await tempDir(t)
  for (let round = 0; round < 2; round++) {
    await mkdir(join(dir, HISTORY), { recursive: true })
    await writeFile(join(dir, HISTORY, '_metadata.json'), `garbage ${round}`)
    const store = await openStore(t, dir)
    await store.close()
  }
  const kept = await readdir(join(dir, HISTORY, '_damaged'))
  t.equal(kept.length, 2)
  const texts = await Promise.all(kept.map((name) => readFile(join(dir, HISTORY, '_damaged', name), 'utf8')))
  t.same(texts.sort(), ['garbage 0', 'garbage 1'])
})

t.test('leftovers of interrupted writes are removed at start; unknown files are left alone', async (t) => {
  const dir = await tempDir(t)
  let store = await openStore(t, dir)
  const { version } = await store.save(payloadFor(1))
  await store.close()
  const history = join(dir, HISTORY)
  const leftovers = [
    join(history, '.tmp-2026-03-01T10-00-00-00000001.json'),
    join(history, '._metadata.json.tmp'),
    join(history, '.index.ndjson.tmp'),
    join(dir, `.${LATEST}.tmp`)
  ]
  const unknown = [
    join(history, 'notes.txt'),
    join(history, 'backup-2026-01-01.json'),
    join(history, '2026-01-25T16-32-31-CA7D685A.json'),
    join(dir, 'README'),
    join(dir, '.my-own-dotfile')
  ]
  for (const path of [...leftovers, ...unknown]) await writeFile(path, '{"half": ')

  store = await openStore(t, dir)
  for (const path of leftovers) t.equal(await stat(path).then(() => true, () => false), false, `removed ${path}`)
  for (const path of unknown) t.equal(await readFile(path, 'utf8'), '{"half": ', `left alone ${path}`)
  t.same(store.list().map((meta) => meta.id), [version.id], 'unknown files are not versions')
  t.same(await store.health(), { writable: true, damaged: 0 })
  t.match(await metadataOnDisk(dir), { versionCount: 1 })
})
