import t from 'tap'
import type { Test } from 'tap'
import { build, samplePayload, storedIds, tempDir, WRITE_KEY } from '../helper.js'

const HOUR = 3_600_000

/** Five versions received 3 days, 47 h, 36 h, 12 h and 1 h ago, under "keep 2, and 2 days". */
async function history (t: Test): Promise<{ app: Awaited<ReturnType<typeof build>>, ids: string[], dataDir: string }> {
  let offset = 0
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir, clock: () => Date.now() + offset, env: { RETENTION_MAX_VERSIONS: '2', RETENTION_DAYS: '2' } })
  const ids: string[] = []
  for (const [i, hoursAgo] of [72, 47, 36, 12, 1].entries()) {
    offset = -hoursAgo * HOUR
    ids.push((await app.store.save(samplePayload(i))).version.id)
  }
  offset = 0
  return { app, ids, dataDir }
}

t.test('GET /retention says what a clean-up would do, and why each version stays', async (t) => {
  const { app, ids, dataDir } = await history(t)
  const res = await app.inject({ method: 'GET', url: '/api/claude/console-usage/retention' })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body, { policy: { maxVersions: 2, days: 2 }, evaluatedAt: String, keptCount: 4, deletedCount: 1, deleted: [ids[0]] })
  t.same(body.kept, [
    { id: ids[1], reasons: ['within-D-days'] },
    { id: ids[2], reasons: ['within-D-days'] },
    { id: ids[3], reasons: ['last-N', 'within-D-days'] },
    { id: ids[4], reasons: ['newest', 'last-N', 'within-D-days'] }
  ])
  t.equal((await storedIds(t, dataDir)).length, 5, 'a dry run deletes nothing')
})

t.test('POST /cleanup needs the write key, then applies the same plan', async (t) => {
  const { app, ids, dataDir } = await history(t)
  const url = '/api/claude/console-usage/cleanup'
  const missing = await app.inject({ method: 'POST', url })
  t.equal(missing.statusCode, 401)
  t.match(missing.json(), { success: false, errorCode: 'AUTH_MISSING' })
  const wrong = await app.inject({ method: 'POST', url, headers: { 'x-api-key': 'not the key' } })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.json(), { errorCode: 'AUTH_INVALID' })
  t.equal((await storedIds(t, dataDir)).length, 5, 'a refused clean-up deletes nothing')

  const res = await app.inject({ method: 'POST', url, headers: { 'x-api-key': WRITE_KEY } })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body, { deleted: 1, kept: 4 })
  t.type(body.durationMs, 'number')
  t.same(await storedIds(t, dataDir), ids.slice(1))

  const after = (await app.inject({ method: 'GET', url: '/api/claude/console-usage/retention' })).json()
  t.match(after, { deletedCount: 0, keptCount: 4, deleted: [] })
  t.match((await app.inject({ method: 'POST', url, headers: { 'x-api-key': WRITE_KEY } })).json(), { deleted: 0, kept: 4 })
  t.match((await app.inject({ method: 'GET', url: '/api/claude/console-usage/metadata' })).json(), { totalVersionsDeleted: 1, versionCount: 4 })
})

t.test('with a read key, the dry run needs it; the clean-up still needs the write key', async (t) => {
  const app = await build(t, { env: { CLAUDE_READ_API_KEY: 'reader-key-0123456789' } })
  t.equal((await app.inject({ method: 'GET', url: '/api/claude/console-usage/retention' })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/api/claude/console-usage/retention', headers: { 'x-api-key': 'reader-key-0123456789' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/api/claude/console-usage/cleanup', headers: { 'x-api-key': 'reader-key-0123456789' } })).statusCode, 401)
})

t.test('GET /retention is paged like /versions: limit and cursor visit every version once', async (t) => {
  const dataDir = await tempDir(t)
  let offset = -10 * 24 * HOUR
  const app = await build(t, { dataDir, clock: () => Date.now() + offset, env: { RETENTION_MAX_VERSIONS: '20', RETENTION_DAYS: '2' } })
  const ids: string[] = []
  for (let i = 0; i < 120; i++) {
    offset = (-10 * 24 + i * 2) * HOUR
    ids.push((await app.store.save(samplePayload(i % 100))).version.id)
  }
  offset = 0
  const seen: Array<{ id: string, kept: boolean }> = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = `/api/claude/console-usage/retention?limit=50${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, `page ${pages + 1}`)
    const body = res.json() as { keptCount: number, deletedCount: number, deleted: string[], kept: Array<{ id: string }>, nextCursor: string | null }
    t.ok(body.deleted.length + body.kept.length <= 50, `page ${pages + 1} holds at most 50 versions`)
    t.equal(body.keptCount + body.deletedCount, 120, 'the counts are over every version')
    seen.push(...body.deleted.map((id) => ({ id, kept: false })), ...body.kept.map(({ id }) => ({ id, kept: true })))
    cursor = body.nextCursor
    pages++
  } while (cursor !== null && pages < 10)
  t.equal(pages, 3, 'three pages of 50, 50 and 20')
  t.same(seen.map(({ id }) => id).sort(), ids, 'each version once')
  const plan = app.store.planRetention()
  t.same(seen.filter(({ kept }) => !kept).map(({ id }) => id).sort(), plan.deleted, 'the same plan as the clean-up')
  t.equal((await app.inject({ method: 'GET', url: '/api/claude/console-usage/retention?limit=1001' })).statusCode, 400, 'limit at most 1000')
  t.equal((await app.inject({ method: 'GET', url: '/api/claude/console-usage/retention?cursor=forged' })).statusCode, 400, 'a forged cursor: 400')
})
