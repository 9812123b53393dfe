// plugins/storage.ts: the store is open (and the folder locked) before the app is ready, configured
// from the environment, and closed, after every pending save, when the app closes. On PostgreSQL
// (the conformance pass) the same, but for the folder's lock.
import t from 'tap'
import { readdir } from 'node:fs/promises'
import { build, folderOnly, samplePayload, storedIds, storedStatistics, storeKind, tempDir, WRITE_KEY } from '../helper.js'

t.test('the store is decorated, open on DATA_DIR with the configured retention', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir, env: { RETENTION_MAX_VERSIONS: '7', RETENTION_DAYS: '2' } })
  t.same(app.store.retention, { maxVersions: 7, days: 2 })
  t.same(await app.store.health(), { writable: true, damaged: 0 })
  if (storeKind === 'folder') t.ok((await readdir(dataDir)).includes('.lock'), 'the folder is locked while the app runs')

  const response = await app.inject({ method: 'POST', url: '/api/claude/console-usage', headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload(12) })
  t.equal(response.statusCode, 200)
  const { id } = response.json<{ version: { id: string } }>().version
  t.equal(app.store.latest()?.meta.id, id, 'a write through HTTP reaches this store')
  t.same(await storedIds(t, dataDir), [id])
})

t.test('the clock option stamps receipts', async (t) => {
  const now = Date.parse('2026-02-03T04:05:06.789Z')
  const app = await build(t, { clock: () => now })
  const { version } = await app.store.save(samplePayload(1))
  t.equal(version.receivedAt, now)
  t.match(version.id, /^2026-02-03T04-05-06-[0-9a-f]{8}$/)
})

t.test('a second app on the same folder does not start; closing releases the folder', folderOnly, async (t) => {
  const dataDir = await tempDir(t)
  const first = await build(t, { dataDir })
  await t.rejects(build(t, { dataDir }), { name: 'LockHeldError', message: new RegExp(`process ${process.pid}`) })
  t.same(await first.store.health(), { writable: true, damaged: 0 }, 'the first goes on')
  await first.close()
  t.notOk((await readdir(dataDir)).includes('.lock'))
  const second = await build(t, { dataDir })
  t.same(await second.store.health(), { writable: true, damaged: 0 })
})

t.test('close waits for the saves in flight, which are all stored', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  const saves = Array.from({ length: 50 }, (_, n) => app.store.save(samplePayload(n)))
  await app.close()
  const results = await Promise.all(saves)
  t.same(await storedIds(t, dataDir), results.map((result) => result.version.id))
  t.match(await storedStatistics(t, dataDir), { versionCount: 50, totalVersionsCreated: 50 })
  if (storeKind === 'folder') t.notOk((await readdir(dataDir)).includes('.lock'))
  await t.rejects(app.store.save(samplePayload(99)), { code: 'STORAGE_UNAVAILABLE' }, 'and then refuses new ones')
})
