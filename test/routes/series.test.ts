import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { build, folderOnly, samplePayload, tempDir, WRITE_KEY } from '../helper.js'

const URL = '/api/claude/console-usage/series'
const BASE = Date.parse('2026-01-01T00:00:00Z')
const MINUTE = 60_000
const COUNT = 10_000
const SAW = 'currentSession.percentageUsed'
const RISING = 'weeklyLimits.allModels.percentageUsed'

interface Series { field: string, points: Array<{ t: string, value: number, min: number, max: number }> }

const idOf = (index: number): string =>
  `${new Date(BASE + index * MINUTE).toISOString().slice(0, 19).replaceAll(':', '-')}-${index.toString(16).padStart(8, '0')}`

/** 10,000 versions a minute apart, written as the earlier server left its folder (which the service opens as is). */
function earlierFolder (dataDir: string): void {
  const history = join(dataDir, 'console-usage-history')
  mkdirSync(history, { recursive: true })
  // Synchronous writes: for many small files they beat queueing them on libuv's four threads.
  for (let index = 0; index < COUNT; index++) {
    writeFileSync(join(history, `${idOf(index)}.json`), JSON.stringify({
      currentSession: { resetsIn: '1 hr', percentageUsed: index % 50 },
      weeklyLimits: { allModels: { resetsIn: 'Thu', percentageUsed: index / 100 }, sonnetOnly: { resetsIn: 'Thu', percentageUsed: 1 } },
      lastUpdated: new Date(BASE + index * MINUTE).toISOString()
    }, null, 2))
  }
}

t.test('a series over 10,000 versions, from memory', folderOnly, async (t) => {
  const dataDir = await tempDir(t)
  earlierFolder(dataDir)
  const app = await build(t, { dataDir, env: { RETENTION_MAX_VERSIONS: String(COUNT * 2) } })
  t.equal(app.store.list().length, COUNT)
  // Series never read a version file: they answer with the whole folder moved away.
  const history = join(dataDir, 'console-usage-history')
  await rename(history, `${history}.away`)
  t.teardown(() => rename(`${history}.away`, history))

  const res = await app.inject({ method: 'GET', url: URL, query: { field: SAW } })
  t.equal(res.statusCode, 200)
  const { field, points } = res.json<Series>()
  t.equal(field, SAW)
  t.equal(points.length, 200, 'the default is 200 points')
  // 10,000 versions in 200 buckets of equal width: 50 versions each, one tooth of the saw (0..49).
  points.forEach((point, k) => {
    t.same(point, { t: new Date(BASE + (50 * k + 49) * MINUTE).toISOString(), value: 49, min: 0, max: 49 }, `bucket ${k}`, { diagnostic: false })
  })

  const rising = (await app.inject({ method: 'GET', url: URL, query: { field: RISING, points: '7' } })).json<Series>()
  t.equal(rising.points.length, 7)
  t.ok(rising.points.every((point, k) => point.min <= point.value && point.value === point.max && (k === 0 || point.min > (rising.points[k - 1]?.max ?? 0))),
    'a rising field: each bucket ends on its max, above the bucket before')
  t.same(rising.points[rising.points.length - 1], { t: new Date(BASE + (COUNT - 1) * MINUTE).toISOString(), value: 99.99, min: rising.points[6]?.min, max: 99.99 })
  t.equal(rising.points[0]?.min, 0)

  const from = new Date(BASE + 1000 * MINUTE).toISOString()
  const to = new Date(BASE + 1999 * MINUTE).toISOString()
  const ranged = (await app.inject({ method: 'GET', url: URL, query: { field: RISING, from, to, points: '10' } })).json<Series>()
  t.equal(ranged.points.length, 10)
  t.equal(ranged.points[0]?.min, 10, 'from is included')
  t.same(ranged.points[9], { t: to, value: 19.99, min: ranged.points[9]?.min, max: 19.99 }, 'to is included')
})

t.test('few versions come back one point each', async (t) => {
  const app = await build(t)
  t.same((await app.inject({ method: 'GET', url: URL, query: { field: SAW } })).json(), { field: SAW, points: [] }, 'nothing stored yet')
  const saved = []
  for (const percentage of [10, 30, 20]) saved.push((await app.store.save(samplePayload(percentage))).version)
  const { points } = (await app.inject({ method: 'GET', url: URL, query: { field: SAW } })).json<Series>()
  t.same(points, saved.map((meta, i) => {
    const value = [10, 30, 20][i] as number
    return { t: new Date(meta.receivedAt).toISOString(), value, min: value, max: value }
  }))
})

t.test('field, points and the range are checked', async (t) => {
  const app = await build(t)
  await app.store.save(samplePayload(10))
  const queries: Array<Record<string, string>> = [
    {}, { field: '' }, { field: 'a..b' }, { field: SAW, points: '0' }, { field: SAW, points: '10001' },
    { field: SAW, from: 'soon' }, { field: SAW, from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }
  ]
  for (const query of queries) {
    const res = await app.inject({ method: 'GET', url: URL, query })
    t.equal(res.statusCode, 400, JSON.stringify(query))
    t.match(res.json(), { success: false, errorCode: 'VALIDATION_ERROR', message: /querystring/ })
  }
  const unknown = await app.inject({ method: 'GET', url: URL, query: { field: 'currentSession.percentUsed' } })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json(), { message: /currentSession\.percentUsed/, suggestion: /currentSession\.percentageUsed/ })
})

t.test('a field inherited from Object.prototype is a field no version has: 400', async (t) => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/api/claude/console-usage', headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })
  for (const field of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const answer = await app.inject({ method: 'GET', url: `/api/claude/console-usage/series?field=${field}` })
    t.equal(answer.statusCode, 400, field)
    t.match(answer.json(), { errorCode: 'VALIDATION_ERROR', message: new RegExp(field) })
  }
})
