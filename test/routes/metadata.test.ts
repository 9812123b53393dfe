import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build, folderOnly, samplePayload, tempDir } from '../helper.js'

const URL = '/api/claude/console-usage/metadata'

t.test('an empty store: zero counts, no ids, the configured policy', async (t) => {
  const app = await build(t, { env: { RETENTION_MAX_VERSIONS: '25', RETENTION_DAYS: '3.5' } })
  const res = await app.inject({ method: 'GET', url: URL })
  t.equal(res.statusCode, 200)
  t.same(res.json(), {
    versionCount: 0,
    oldestTimestamp: null,
    newestTimestamp: null,
    lastCleanup: null,
    totalVersionsCreated: 0,
    totalVersionsDeleted: 0,
    retention: { maxVersions: 25, days: 3.5 },
    bytesOnDisk: 0,
    oldestId: null,
    newestId: null
  })
})

t.test('the six statistics agree with _metadata.json, with sizes and ids beside them', folderOnly, async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir, env: { RETENTION_MAX_VERSIONS: '2', RETENTION_DAYS: '0' } })
  const ids: string[] = []
  for (let i = 0; i < 4; i++) ids.push((await app.store.save(samplePayload(i))).version.id)
  await app.store.cleanup()

  const body = (await app.inject({ method: 'GET', url: URL })).json()
  const onDisk = JSON.parse(await readFile(join(dataDir, 'console-usage-history', '_metadata.json'), 'utf8'))
  t.same({
    versionCount: body.versionCount,
    oldestTimestamp: body.oldestTimestamp,
    newestTimestamp: body.newestTimestamp,
    lastCleanup: body.lastCleanup,
    totalVersionsCreated: body.totalVersionsCreated,
    totalVersionsDeleted: body.totalVersionsDeleted
  }, onDisk)
  t.match(body, { versionCount: 2, totalVersionsCreated: 4, totalVersionsDeleted: 2, lastCleanup: String, oldestId: ids[2], newestId: ids[3] })
  const sizes = await Promise.all(ids.slice(2).map(async (id) => (await readFile(join(dataDir, 'console-usage-history', `${id}.json`))).length))
  t.equal(body.bytesOnDisk, sizes[0]! + sizes[1]!, 'the bytes of the retained version files')
})
