// POST and GET /api/claude/console-usage: every row of the contract's section 5 tables, as the
// scraper and the widget see them (status, body, headers, and the files in the data folder).
import { createHash } from 'node:crypto'
import { cp, readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, folderOnly, samplePayload, storedIds, storedStatistics, storeKind, tempDir, WRITE_KEY } from '../helper.js'
import { EARLIER_ID, EARLIER_RECEIVED_AT, EARLIER_SERVER_DIR } from '../fixtures/earlier-server.js'
import { StorageError } from '../../src/storage/index.js'
import { derivedFilesFollow } from '../storage/fixtures/folder.js'

const URL = '/api/claude/console-usage'
const MINUTE = 60_000

/**
 * Every file under the data folder with a hash of its content: "nothing changed" means equal. On
 * PostgreSQL, the ids and statistics as stored. A stored write starts a clean-up after its answer,
 * which records lastCleanup: this waits for it (running one more) and leaves lastCleanup out, the
 * one statistic a clean-up may change.
 */
async function folderState (t: Test, dir: string, app: FastifyInstance): Promise<Record<string, unknown>> {
  await app.store.cleanup()
  if (storeKind === 'postgres') {
    return { ids: await storedIds(t, dir), statistics: { ...await storedStatistics(t, dir), lastCleanup: null }, latest: app.store.latest() }
  }
  // The statistics and the latest file follow each write within moments: compare them once they have.
  await derivedFilesFollow(dir, app.store)
  const state: Record<string, string> = {}
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const full = join(path, entry.name)
      if (entry.isDirectory()) await walk(full)
      else {
        let content = await readFile(full, 'utf8')
        if (entry.name === '_metadata.json') content = JSON.stringify({ ...JSON.parse(content), lastCleanup: null })
        state[relative(dir, full)] = createHash('sha256').update(content).digest('hex')
      }
    }
  }
  await walk(dir)
  return state
}

const post = (app: FastifyInstance, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': WRITE_KEY, ...headers }, payload: payload as Record<string, unknown> })

const get = (app: FastifyInstance, query = '', headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url: `${URL}${query}`, headers })

t.test('POST stores a snapshot and answers with its version', folderOnly, async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  const payload = samplePayload(47)
  const response = await post(app, payload)
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.match(body, { success: true, message: String, duplicate: false, version: { id: /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[0-9a-f]{8}$/ } })
  t.ok(Date.parse(body.timestamp) > 0 && Date.parse(body.version.receivedAt) > 0)
  const stored = JSON.parse(await readFile(join(dataDir, 'console-usage-history', `${body.version.id}.json`), 'utf8'))
  t.same(stored, payload, 'the version file holds the payload')
  t.ok(await derivedFilesFollow(dataDir, app.store), 'the latest file follows the answer')
  t.same(JSON.parse(await readFile(join(dataDir, 'console-usage-synced.json'), 'utf8')), payload, 'the latest file is replaced')
})

t.test('POST of the latest payload again is a duplicate: 200, nothing new stored', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  const payload = samplePayload(50)
  const first = (await post(app, payload)).json()
  const before = await folderState(t, dataDir, app)
  const again = await post(app, { ...payload })
  t.equal(again.statusCode, 200)
  t.match(again.json(), { success: true, duplicate: true, version: { id: first.version.id } })
  t.same(await folderState(t, dataDir, app), before, 'no file changed')
  t.equal(app.store.list().length, 1)
  // A payload equal to an older (not the latest) version is new data again.
  await post(app, samplePayload(51, payload.lastUpdated as string))
  t.equal((await post(app, payload)).json().duplicate, false)
  t.equal(app.store.list().length, 3)
})

t.test('POST accepts each optional part of the contract, alone or together', async (t) => {
  const app = await build(t)
  const window = { resetsIn: '1 hr', percentageUsed: 0 }
  const lastUpdated = '2026-01-25T03:17:41Z'
  for (const body of [
    { lastUpdated, currentSession: window },
    { lastUpdated, weeklyLimits: { allModels: window, sonnetOnly: { resetsIn: 'Sat', percentageUsed: 100 } } },
    { ...samplePayload(12.5), isPartial: true, extractionErrors: { sonnetOnly: 'not on the page' } },
    { ...samplePayload(13), extractionErrors: {} }
  ]) {
    t.equal((await post(app, body)).statusCode, 200, JSON.stringify(body))
  }
})

t.test('POST refuses a body against the contract with 400 VALIDATION_ERROR naming the field, and stores nothing', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  await post(app, samplePayload(1))
  const before = await folderState(t, dataDir, app)
  const valid = samplePayload(2)
  const window = (patch: Record<string, unknown>) => ({ ...valid, currentSession: { resetsIn: '1 hr', percentageUsed: 5, ...patch } })
  const { lastUpdated, ...withoutLastUpdated } = valid
  const cases: Array<[string, unknown, RegExp]> = [
    ['lastUpdated missing', withoutLastUpdated, /lastUpdated/],
    ['lastUpdated not a date-time', { ...valid, lastUpdated: 'yesterday' }, /lastUpdated/],
    ['lastUpdated a number', { ...valid, lastUpdated: Date.now() }, /lastUpdated/],
    ['neither currentSession nor weeklyLimits', { lastUpdated }, /currentSession.*weeklyLimits/],
    ['resetsIn empty', window({ resetsIn: '' }), /currentSession\.resetsIn/],
    ['resetsIn missing', { ...valid, currentSession: { percentageUsed: 5 } }, /currentSession\.resetsIn/],
    ['percentageUsed over 100', window({ percentageUsed: 100.5 }), /currentSession\.percentageUsed/],
    ['percentageUsed negative', window({ percentageUsed: -1 }), /currentSession\.percentageUsed/],
    ['percentageUsed as text, not coerced', window({ percentageUsed: '47' }), /currentSession\.percentageUsed/],
    ['unknown field in currentSession', window({ extra: 1 }), /currentSession\.extra/],
    // One entry alone is a partial scrape (test/routes/partial-scrapes.test.ts); none at all is not.
    ['weeklyLimits empty', { ...valid, weeklyLimits: {} }, /weeklyLimits/],
    ['unknown field in weeklyLimits', { ...valid, weeklyLimits: { ...(valid.weeklyLimits as object), opus: { resetsIn: 'Thu', percentageUsed: 1 } } }, /weeklyLimits\.opus/],
    ['weeklyLimits.allModels.percentageUsed as text', { ...valid, weeklyLimits: { allModels: { resetsIn: 'Thu', percentageUsed: '31' }, sonnetOnly: { resetsIn: 'Sat', percentageUsed: 1 } } }, /weeklyLimits\.allModels\.percentageUsed/],
    ['isPartial as text', { ...valid, isPartial: 'true' }, /isPartial/],
    ['extractionErrors with a number', { ...valid, extractionErrors: { sonnetOnly: 3 } }, /extractionErrors\.sonnetOnly/],
    ['extractionErrors not an object', { ...valid, extractionErrors: ['x'] }, /extractionErrors/],
    ['unknown top-level field', { ...valid, source: 'laptop' }, /\bsource\b/],
    ['an array', [valid], /body/]
  ]
  for (const [name, body, field] of cases) {
    const response = await post(app, body)
    t.equal(response.statusCode, 400, name)
    const error = response.json()
    t.match(error, { success: false, statusCode: 400, errorCode: 'VALIDATION_ERROR', requestId: String, timestamp: String }, name)
    t.match(error.message, field, `${name}: ${error.message}`)
  }
  t.same(await folderState(t, dataDir, app), before, 'no file changed')
  t.equal(app.store.statistics().totalVersionsCreated, 1, 'no statistic changed')
})

t.test('POST refuses malformed JSON, an empty JSON body, non-JSON and a body over 64 KiB', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  await post(app, samplePayload(1))
  const before = await folderState(t, dataDir, app)
  const send = (payload: string, contentType: string) =>
    app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': WRITE_KEY, 'content-type': contentType }, payload })

  const malformed = await send('{"lastUpdated": ', 'application/json')
  t.equal(malformed.statusCode, 400)
  t.match(malformed.json(), { success: false, statusCode: 400, errorCode: 'INVALID_JSON' })
  const empty = await send('', 'application/json')
  t.equal(empty.statusCode, 400)
  t.match(empty.json(), { errorCode: 'INVALID_JSON' })

  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const response = await send(JSON.stringify(samplePayload(3)), type)
    t.equal(response.statusCode, 415, type)
    t.match(response.json(), { success: false, statusCode: 415, errorCode: 'UNSUPPORTED_MEDIA_TYPE' }, type)
  }

  const big = { ...samplePayload(4), extractionErrors: { note: 'x'.repeat(64 * 1024) } }
  const tooLarge = await post(app, big)
  t.equal(tooLarge.statusCode, 413)
  t.match(tooLarge.json(), { success: false, statusCode: 413, errorCode: 'PAYLOAD_TOO_LARGE' })
  // Just under the limit is fine.
  const near = { ...samplePayload(5), extractionErrors: { note: 'x'.repeat(60 * 1024) } }
  t.equal((await post(app, near)).statusCode, 200)
  t.equal(app.store.list().length, 2)
  t.notSame(await folderState(t, dataDir, app), before)
})

t.test('POST without the write key, or with a wrong one, is 401 and stores nothing', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  const before = await folderState(t, dataDir, app)
  const missing = await app.inject({ method: 'POST', url: URL, payload: samplePayload() })
  t.equal(missing.statusCode, 401)
  t.match(missing.json(), { success: false, statusCode: 401, errorCode: 'AUTH_MISSING' })
  const wrong = await post(app, samplePayload(), { 'x-api-key': `${WRITE_KEY}x` })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.json(), { errorCode: 'AUTH_INVALID' })
  // The key is checked before the body: a bad key with a bad body is still 401.
  const both = await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': 'nope', 'content-type': 'application/json' }, payload: '{' })
  t.equal(both.statusCode, 401)
  t.same(await folderState(t, dataDir, app), before, 'no file changed')
})

t.test('POST from an address with 10 wrong keys in the last minute: 429 for a wrong key, the right key still stores', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  const before = await folderState(t, dataDir, app)
  const from = (remoteAddress: string, key: string) =>
    app.inject({ method: 'POST', url: URL, remoteAddress, headers: { 'x-api-key': key }, payload: samplePayload() })
  for (let i = 0; i < 10; i++) t.equal((await from('10.0.0.7', `guess-${i}`)).statusCode, 401)
  const limited = await from('10.0.0.7', 'guess-10')
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { success: false, statusCode: 429, errorCode: 'TOO_MANY_ATTEMPTS' })
  t.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60, 'Retry-After in seconds')
  t.same(await folderState(t, dataDir, app), before, 'nothing stored')
  t.equal((await from('10.0.0.7', WRITE_KEY)).statusCode, 200, 'the right key from that address stores: the limit never locks the scraper out')
  t.equal((await from('10.0.0.8', 'guess-11')).statusCode, 401, 'another address is not limited')
})

t.test('POST answers 507 on a full disk and 503 on another storage failure, storing nothing', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  await post(app, samplePayload(1))
  const before = await folderState(t, dataDir, app)
  const save = app.store.save
  // A full disk cannot be made on demand here; the store's own fault tests cover the disk side.
  for (const [code, status] of [['STORAGE_FULL', 507], ['STORAGE_UNAVAILABLE', 503]] as const) {
    app.store.save = async () => { throw new StorageError(code, 'no space left to store the version') }
    const response = await post(app, samplePayload(2))
    t.equal(response.statusCode, status, code)
    t.match(response.json(), { success: false, statusCode: status, errorCode: code, suggestion: String })
  }
  app.store.save = save
  t.same(await folderState(t, dataDir, app), before, 'no file changed')
  t.equal((await post(app, samplePayload(2))).statusCode, 200, 'writes work again once the fault is gone')
})

t.test('GET answers 404 NOT_FOUND when nothing is stored, whatever the query', async (t) => {
  const app = await build(t)
  for (const query of ['', '?version=1', '?version=-1', '?version=0', '?version=abc', '?timestamp=2026-01-01T00:00:00Z', '?timestamp=nope', '?at=2026-01-01T00:00:00Z', '?at=nope']) {
    const response = await get(app, query)
    t.equal(response.statusCode, 404, query)
    t.match(response.json(), { success: false, statusCode: 404, errorCode: 'NOT_FOUND', message: String, requestId: String, timestamp: String }, query)
  }
})

/** Three versions received at 10:00, 10:10 and 10:20 (by the store's clock). */
async function threeVersions (t: Test): Promise<{ app: FastifyInstance, ids: string[], times: number[] }> {
  const times = [Date.parse('2026-03-01T10:00:00Z'), Date.parse('2026-03-01T10:10:00Z'), Date.parse('2026-03-01T10:20:00Z')]
  let now = times[0] as number
  const app = await build(t, { clock: () => now })
  const ids: string[] = []
  for (const [index, time] of times.entries()) {
    now = time
    ids.push((await post(app, samplePayload(10 + index))).json().version.id)
  }
  return { app, ids, times }
}

t.test('GET without a query answers the latest version with its view fields', async (t) => {
  const { app, ids, times } = await threeVersions(t)
  const lastUpdated = new Date(Date.now() - 2 * MINUTE).toISOString()
  const payload = samplePayload(99, lastUpdated)
  const id = (await post(app, payload)).json().version.id as string
  const response = await get(app)
  t.equal(response.statusCode, 200)
  t.same(response.json(), {
    ...payload,
    isStale: false,
    ageMinutes: 2,
    source: 'ec2-sync',
    versionInfo: { current: 4, total: 4, timestamp: new Date(times[2] as number).toISOString(), filename: `${id}.json`, id }
  })
  t.ok(ids.every((earlier) => earlier < id))
})

t.test('GET ?version=N counts from the oldest (1) or the latest (-1)', async (t) => {
  const { app, ids } = await threeVersions(t)
  const expect: Array<[string, number]> = [['1', 0], ['2', 1], ['3', 2], ['-1', 2], ['-2', 1], ['-3', 0]]
  for (const [n, index] of expect) {
    const response = await get(app, `?version=${n}`)
    t.equal(response.statusCode, 200, n)
    t.match(response.json().versionInfo, { id: ids[index], current: index + 1, total: 3 }, n)
    t.equal(response.json().currentSession.percentageUsed, 10 + index)
  }
})

t.test('GET ?version= 0, not an integer, or out of range is 400 naming the valid range', async (t) => {
  const { app } = await threeVersions(t)
  for (const n of ['0', '4', '-4', '1.5', 'abc', '', '1e1', '99999999999999999999']) {
    const response = await get(app, `?version=${encodeURIComponent(n)}`)
    t.equal(response.statusCode, 400, n)
    const error = response.json()
    t.match(error, { success: false, statusCode: 400, errorCode: 'VALIDATION_ERROR', validRange: '1..3 or -3..-1' }, n)
    t.match(error.message, /^querystring\.version must be an integer in 1\.\.3 or -3\.\.-1/, n)
  }
})

t.test('GET ?timestamp= answers the version received nearest to it', async (t) => {
  const { app, ids } = await threeVersions(t)
  const cases: Array<[string, number]> = [
    ['2026-03-01T09:00:00Z', 0],
    ['2026-03-01T10:04:59Z', 0],
    ['2026-03-01T10:06:00Z', 1],
    ['2026-03-01T10:10:00Z', 1],
    ['2026-03-01T10:16:00+00:00', 2],
    ['2026-03-02T00:00:00Z', 2]
  ]
  for (const [time, index] of cases) {
    const response = await get(app, `?timestamp=${encodeURIComponent(time)}`)
    t.equal(response.statusCode, 200, time)
    t.equal(response.json().versionInfo.id, ids[index], time)
  }
  const bad = await get(app, '?timestamp=not-a-date')
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { errorCode: 'VALIDATION_ERROR', message: /timestamp/ })
})

t.test('GET ?at= answers the newest version received at or before it; none is 404', async (t) => {
  const { app, ids } = await threeVersions(t)
  const cases: Array<[string, number]> = [
    ['2026-03-01T10:00:00Z', 0],
    ['2026-03-01T10:09:59Z', 0],
    ['2026-03-01T10:10:00Z', 1],
    ['2026-03-01T10:19:00Z', 1],
    ['2026-03-05T00:00:00Z', 2]
  ]
  for (const [time, index] of cases) {
    const response = await get(app, `?at=${encodeURIComponent(time)}`)
    t.equal(response.statusCode, 200, time)
    t.equal(response.json().versionInfo.id, ids[index], time)
  }
  const before = await get(app, '?at=2026-03-01T09:59:59Z')
  t.equal(before.statusCode, 404)
  t.match(before.json(), { success: false, errorCode: 'NOT_FOUND', oldestAvailableId: ids[0] })
  const bad = await get(app, '?at=soon')
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { errorCode: 'VALIDATION_ERROR', message: /\bat\b/ })
  const both = await get(app, '?version=1&at=2026-03-01T10:00:00Z')
  t.equal(both.statusCode, 400, 'one selector at a time')
  t.equal((await get(app, '?_=1700000000')).statusCode, 200, 'a cache-busting parameter is ignored')
})

t.test('GET: isStale, ageMinutes and Cache-Control follow the payload\'s lastUpdated', async (t) => {
  const app = await build(t)
  const cases: Array<[number, boolean, string]> = [
    [0.5, false, 'public, max-age=60'],
    [4.5, false, 'public, max-age=60'],
    [7.2, false, 'public, max-age=30'],
    [10.5, true, 'no-cache'],
    [24 * 60, true, 'no-cache']
  ]
  for (const [index, [minutes, stale, cacheControl]] of cases.entries()) {
    t.equal((await post(app, samplePayload(index, new Date(Date.now() - minutes * MINUTE).toISOString()))).statusCode, 200)
    const response = await get(app)
    t.equal(response.json().ageMinutes, Math.floor(minutes), `${minutes} min`)
    t.equal(response.json().isStale, stale, `${minutes} min`)
    t.equal(response.headers['cache-control'], cacheControl, `${minutes} min`)
  }
  const stricter = await build(t, { env: { STALE_AFTER_MINUTES: '3' } })
  await post(stricter, samplePayload(1, new Date(Date.now() - 4 * MINUTE).toISOString()))
  t.equal((await get(stricter)).json().isStale, true, 'STALE_AFTER_MINUTES sets the threshold')
})

t.test('GET: ETag changes exactly with the served version; If-None-Match and If-Modified-Since answer 304', async (t) => {
  const app = await build(t)
  const lastUpdated = '2026-03-01T10:00:00.000Z'
  await post(app, samplePayload(1, lastUpdated))
  const first = await get(app)
  const etag = first.headers.etag as string
  t.match(etag, /^"[^"]+"$/)
  t.equal(first.headers['last-modified'], new Date(lastUpdated).toUTCString())
  t.equal((await get(app)).headers.etag, etag, 'same version, same ETag')

  const cached = await get(app, '', { 'if-none-match': etag })
  t.equal(cached.statusCode, 304)
  t.equal(cached.body, '')
  t.equal(cached.headers.etag, etag)
  t.equal((await get(app, '', { 'if-none-match': `"other", W/${etag}` })).statusCode, 304, 'a list and weak form match too')
  t.equal((await get(app, '', { 'if-modified-since': new Date(lastUpdated).toUTCString() })).statusCode, 304)
  t.equal((await get(app, '', { 'if-modified-since': new Date(Date.parse(lastUpdated) - 1000).toUTCString() })).statusCode, 200)
  t.equal((await get(app, '', { 'if-none-match': '"other"', 'if-modified-since': new Date().toUTCString() })).statusCode, 200,
    'If-None-Match wins over If-Modified-Since')

  await post(app, samplePayload(2, lastUpdated))
  const second = await get(app)
  t.not(second.headers.etag, etag, 'a new version, a new ETag')
  t.equal((await get(app, '', { 'if-none-match': etag })).statusCode, 200, 'the old ETag no longer matches')
  t.equal((await get(app, '?version=1')).headers.etag, etag, 'the ETag names the version served')
})

t.test('GET serves versions of the earlier server from its data folder as is', folderOnly, async (t) => {
  const dataDir = await tempDir(t)
  await cp(EARLIER_SERVER_DIR, dataDir, { recursive: true })
  const app = await build(t, { dataDir })
  const response = await get(app)
  t.equal(response.statusCode, 200)
  const payload = JSON.parse(await readFile(join(EARLIER_SERVER_DIR, 'console-usage-history', `${EARLIER_ID}.json`), 'utf8')) as Record<string, unknown>
  t.same(response.json(), {
    ...payload,
    isStale: true,
    ageMinutes: response.json<{ ageMinutes: number }>().ageMinutes,
    source: 'ec2-sync',
    versionInfo: { current: 1, total: 1, id: EARLIER_ID, filename: `${EARLIER_ID}.json`, timestamp: EARLIER_RECEIVED_AT }
  })
})
