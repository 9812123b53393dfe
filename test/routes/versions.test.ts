import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, samplePayload, tempDir, WRITE_KEY } from '../helper.js'

const BASE = Date.parse('2026-03-01T10:00:00.000Z')
const MINUTE = 60_000
const URL = '/api/claude/console-usage/versions'

interface Page {
  items: Array<{ id: string, receivedAt: string, lastUpdated: string | null, size: number }>
  nextCursor: string | null
  total: number
}

/** A clock the test moves: each save is received one minute after the one before. */
function minuteClock (): { clock: () => number, tick: () => void } {
  let now = BASE
  return { clock: () => now, tick: () => { now += MINUTE } }
}

async function saveMany (app: FastifyInstance, count: number, tick: () => void = () => {}): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const { version } = await app.store.save(samplePayload(Math.random() * 100))
    ids.push(version.id)
    tick()
  }
  return ids
}

async function page (app: FastifyInstance, query: Record<string, string | number>): Promise<Page> {
  const res = await app.inject({ method: 'GET', url: URL, query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) })
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  return res.json<Page>()
}

/** Follows nextCursor to the end; `between` runs after each page. */
async function walk (app: FastifyInstance, query: Record<string, string | number>, between: () => Promise<void> = async () => {}): Promise<string[]> {
  const seen: string[] = []
  let current = await page(app, query)
  for (;;) {
    seen.push(...current.items.map((item) => item.id))
    if (current.nextCursor === null) return seen
    await between()
    current = await page(app, { limit: query.limit ?? 50, cursor: current.nextCursor })
  }
}

t.test('an empty store lists nothing', async (t) => {
  const app = await build(t)
  t.same(await page(app, {}), { items: [], nextCursor: null, total: 0 })
})

t.test('pages run newest first, or oldest first, and say how many there are', async (t) => {
  const { clock, tick } = minuteClock()
  const app = await build(t, { clock })
  const ids = await saveMany(app, 7, tick)

  const first = await page(app, { limit: 3 })
  t.equal(first.total, 7)
  t.same(first.items.map((item) => item.id), ids.slice(4).reverse())
  t.type(first.nextCursor, 'string')
  const item = first.items[0]
  t.equal(item?.receivedAt, new Date(BASE + 6 * MINUTE).toISOString())
  t.type(item?.lastUpdated, 'string')
  t.ok((item?.size ?? 0) > 0)

  t.same(await walk(app, { limit: 3 }), [...ids].reverse(), 'desc is the default')
  t.same(await walk(app, { limit: 3, order: 'asc' }), ids)
  t.same(await walk(app, { limit: 7 }), [...ids].reverse(), 'a page that holds the rest is the last')
  t.equal((await page(app, {})).items.length, 7, 'the default limit (50) holds them all')
})

t.test('from and to select by receipt time, both ends included', async (t) => {
  const { clock, tick } = minuteClock()
  const app = await build(t, { clock })
  const ids = await saveMany(app, 10, tick)
  const from = new Date(BASE + 2 * MINUTE).toISOString()
  const to = new Date(BASE + 5 * MINUTE).toISOString()
  t.same(await walk(app, { from, to, order: 'asc', limit: 2 }), ids.slice(2, 6))
  t.equal((await page(app, { from, to, limit: 1 })).total, 4, 'total counts the range, not the page')
  t.equal((await page(app, { from })).total, 8)
  t.equal((await page(app, { to })).total, 6)
})

t.test('a walk visits every version exactly once while writes go on', async (t) => {
  for (const order of ['desc', 'asc']) {
    const app = await build(t)
    const before = await saveMany(app, 40)
    const during: string[] = []
    // Three saves between pages, some of them concurrent with the next page's request.
    const seen = await walk(app, { limit: 7, order }, async () => {
      const concurrent = saveMany(app, 2)
      during.push(...await saveMany(app, 1))
      during.push(...await concurrent)
    })
    t.equal(new Set(seen).size, seen.length, `${order}: no version twice`)
    t.same(seen.filter((id) => before.includes(id)).sort(), before, `${order}: every version stored before the walk`)
    if (order === 'asc') t.same(seen.slice(before.length).sort(), [...during].sort(), 'asc: and every one stored during it')
    t.same(seen, order === 'asc' ? [...seen].sort() : [...seen].sort().reverse(), `${order}: in order`)
  }
})

t.test('a walk survives retention removing versions it has not reached', async (t) => {
  const app = await build(t, { env: { RETENTION_MAX_VERSIONS: '5', RETENTION_DAYS: '0' } })
  const ids = await saveMany(app, 12)
  const first = await page(app, { limit: 4, order: 'asc' })
  t.same(first.items.map((item) => item.id), ids.slice(0, 4))
  await app.store.cleanup()
  const second = await page(app, { limit: 4, cursor: first.nextCursor as string })
  t.same(second.items.map((item) => item.id), ids.slice(7, 11), 'it goes on with the oldest one retained')
})

t.test('limit, order, from and to are checked', async (t) => {
  const app = await build(t)
  const queries: Array<Record<string, string>> = [{ limit: '0' }, { limit: '1001' }, { limit: 'ten' }, { order: 'up' }, { from: 'yesterday' }, { to: '2026-13-01T00:00:00Z' }]
  for (const query of queries) {
    const res = await app.inject({ method: 'GET', url: URL, query })
    t.equal(res.statusCode, 400, JSON.stringify(query))
    t.match(res.json(), { success: false, statusCode: 400, errorCode: 'VALIDATION_ERROR', message: /querystring\.\w+/ })
  }
  const reversed = await app.inject({ method: 'GET', url: URL, query: { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' } })
  t.equal(reversed.statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: URL, query: { limit: '1000' } })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: URL, query: { _: '1700000000000' } })).statusCode, 200, 'a cache buster is ignored')
})

t.test('integers in every query string are read strictly, naming the parameter and its range', async (t) => {
  const app = await build(t)
  await app.store.save(samplePayload(5))
  const routes = [
    ['/api/claude/console-usage/versions', 'limit', '1..1000', {}],
    ['/api/claude/console-usage/series', 'points', '1..10000', { field: 'currentSession.percentageUsed' }]
  ] as const
  for (const [url, name, range, rest] of routes) {
    for (const raw of ['1e400', '1.0', '+5', ' 5', '5 ', '0x10', '1e2', '99999999999999999999', '5,6']) {
      const res = await app.inject({ method: 'GET', url, query: { ...rest, [name]: raw } })
      t.equal(res.statusCode, 400, `${url}?${name}=${JSON.stringify(raw)}`)
      t.equal(res.json<{ message: string }>().message, `querystring.${name} must be an integer in ${range}, got ${JSON.stringify(raw)}`)
    }
    const repeated = await app.inject({ method: 'GET', url: `${url}?${name}=5&${name}=6${'field' in rest ? `&field=${rest.field}` : ''}` })
    t.equal(repeated.statusCode, 400, `${url}: a repeated ${name} is refused`)
    const fine = await app.inject({ method: 'GET', url, query: { ...rest, [name]: '5' } })
    t.equal(fine.statusCode, 200, `${url}?${name}=5 is accepted`)
  }
  const version = await app.inject({ method: 'GET', url: '/api/claude/console-usage', query: { version: '+1' } })
  t.equal(version.statusCode, 400, 'version=+1 is refused too')
  t.match(version.json(), { message: /^querystring\.version must be an integer in 1 or -1/ })
})

t.test('a cursor that was changed, or reused with another query, is refused', async (t) => {
  const app = await build(t)
  await saveMany(app, 5)
  const { nextCursor } = await page(app, { limit: 2 })
  const cursor = nextCursor as string
  const flipped = `${cursor.slice(0, 3)}${cursor[3] === 'A' ? 'B' : 'A'}${cursor.slice(4)}`
  const queries: Array<Record<string, string>> = [{ cursor: flipped }, { cursor: 'abc.def' }, { cursor: `${cursor}x` }, { cursor, order: 'asc' }, { cursor, from: '2026-01-01T00:00:00Z' }]
  for (const query of queries) {
    const res = await app.inject({ method: 'GET', url: URL, query: { limit: '2', ...query } })
    t.equal(res.statusCode, 400, JSON.stringify(query))
    t.match(res.json(), { success: false, errorCode: 'INVALID_CURSOR', requestId: String, timestamp: String })
  }
  t.equal((await app.inject({ method: 'GET', url: URL, query: { cursor, order: 'desc' } })).statusCode, 200, 'repeating the same order is fine')
})

t.test('GET /versions/:id answers as the latest read does', async (t) => {
  const app = await build(t)
  const ids = await saveMany(app, 3)
  const latest = await app.inject({ method: 'GET', url: '/api/claude/console-usage' })
  const byId = await app.inject({ method: 'GET', url: `${URL}/${ids[2] as string}` })
  t.equal(byId.statusCode, 200)
  const { timestamp: _a, ...latestBody } = latest.json()
  const { timestamp: _b, ...byIdBody } = byId.json()
  t.same(byIdBody, latestBody)
  t.equal(byId.headers.etag, latest.headers.etag)
  t.equal(byId.headers['last-modified'], latest.headers['last-modified'])

  const older = await app.inject({ method: 'GET', url: `${URL}/${ids[0] as string}` })
  t.match(older.json(), { versionInfo: { current: 1, total: 3, id: ids[0], filename: `${ids[0] as string}.json` }, source: 'ec2-sync' })
  const again = await app.inject({ method: 'GET', url: `${URL}/${ids[0] as string}`, headers: { 'if-none-match': older.headers.etag as string } })
  t.equal(again.statusCode, 304)
})

t.test('GET /versions/:id: malformed 400, pruned 410, otherwise absent 404', async (t) => {
  const { clock, tick } = minuteClock()
  const app = await build(t, { clock, env: { RETENTION_MAX_VERSIONS: '2', RETENTION_DAYS: '0' } })
  const ids = await saveMany(app, 5, tick)
  await app.store.cleanup()
  const [pruned, , , kept] = ids as [string, string, string, string, string]

  for (const id of ['nope', '2026-02-31T10-00-00-00000000', '2026-01-25T16-32-31-CA7D685A', '..%2F..%2Fetc%2Fpasswd']) {
    const res = await app.inject({ method: 'GET', url: `${URL}/${id}` })
    t.equal(res.statusCode, 400, id)
    t.match(res.json(), { success: false, errorCode: 'VALIDATION_ERROR', message: /params\.id/ })
  }
  const gone = await app.inject({ method: 'GET', url: `${URL}/${pruned}` })
  t.equal(gone.statusCode, 410)
  t.match(gone.json(), { success: false, statusCode: 410, errorCode: 'VERSION_PRUNED', oldestAvailableId: kept })

  // A minute apart: an id a second after the oldest retained one names no version.
  const between = new Date(BASE + 3 * MINUTE + 1000).toISOString().slice(0, 19).replaceAll(':', '-') + '-00000000'
  for (const id of [between, '2099-01-01T00-00-00-00000000']) {
    const res = await app.inject({ method: 'GET', url: `${URL}/${id}` })
    t.equal(res.statusCode, 404, id)
    t.match(res.json(), { errorCode: 'NOT_FOUND' })
  }
})

t.test('with a read key, listing needs it', async (t) => {
  const app = await build(t, { env: { CLAUDE_READ_API_KEY: 'reader-key-0123456789' } })
  const ids = await saveMany(app, 1)
  for (const url of [URL, `${URL}/${ids[0] as string}`]) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 401)
    t.equal((await app.inject({ method: 'GET', url, headers: { 'x-api-key': 'reader-key-0123456789' } })).statusCode, 200)
    t.equal((await app.inject({ method: 'GET', url, headers: { 'x-api-key': WRITE_KEY } })).statusCode, 200)
  }
})

t.test('a cursor outlives a restart of the service on the same folder and key', async (t) => {
  const dataDir = await tempDir(t)
  const first = await build(t, { dataDir })
  const ids = await saveMany(first, 5)
  const before = await page(first, { limit: 2, order: 'asc' })
  await first.close()

  const second = await build(t, { dataDir })
  const after = await page(second, { limit: 10, order: 'asc', cursor: before.nextCursor as string })
  t.same([...before.items, ...after.items].map((item) => item.id), ids, 'the walk goes on where it stopped')
  await second.close()

  const rekeyed = await build(t, { dataDir, env: { CLAUDE_SYNC_API_KEY: 'another-write-key-0123' } })
  const res = await rekeyed.inject({ method: 'GET', url: URL, query: { cursor: before.nextCursor as string, order: 'asc' } })
  t.equal(res.statusCode, 400, 'a new write key ends old walks')
  t.equal(res.json().errorCode, 'INVALID_CURSOR')
})
