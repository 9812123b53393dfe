// GET /api/claude/console-usage/forecast (contract section 9) on histories imported through the
// store with answers known in advance: a linear rise, an at-risk and an ok limit, partial scrapes,
// a reset, `?at=`, an empty store, and the read key.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { formatId } from '../../src/storage/ids.js'
import type { ImportedVersion, Payload } from '../../src/storage/types.js'
import type { Forecast, Limit } from '../../src/insights/forecast.js'
import { build } from '../helper.js'

const URL = '/api/claude/console-usage/forecast'
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const BASE = Date.parse('2026-03-02T08:00:00Z')
const KEEP_ALL = { RETENTION_MAX_VERSIONS: '100000', RETENTION_DAYS: '36500', USAGE_TIMEZONE: 'Europe/Berlin' }

/** The body: the computed forecast, with the observed resets when asked for. */
type Body = Forecast & { resets?: Record<keyof Forecast['limits'], string[]> }

const reading = (percentageUsed: number, resetsIn: string): Record<string, unknown> => ({ resetsIn, percentageUsed })

/** One version every 5 minutes from BASE; `make(i, t)` gives the payload of the i-th, received at t. */
function history (count: number, make: (i: number, t: number) => Payload): ImportedVersion[] {
  return Array.from({ length: count }, (_, i) => {
    const receivedAt = BASE + i * 5 * MINUTE
    return { id: formatId(receivedAt, i), receivedAt, payload: make(i, receivedAt) }
  })
}

async function forecastOf (app: FastifyInstance, query = ''): Promise<Body> {
  const res = await app.inject({ method: 'GET', url: URL + query })
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  return res.json<Body>()
}

const ms = (iso: string | null | undefined): number => Date.parse(iso ?? '')

// 13 versions over one hour. The session climbs 20 points an hour from 10 and resets in 2 h 30 min
// (it fills in 3.5 h: ok); the weekly figure climbs 12 points an hour from 40 and resets in 1 day
// (it fills in 4 h: at risk); Sonnet is declared missing in every other scrape (placeholder 0,
// never a value nor a reset) and holds at 7.
const rising = history(13, (i, t) => {
  const hours = (i * 5) / 60
  const sonnetMissing = i % 2 === 1
  return {
    currentSession: reading(10 + 20 * hours, '2 hr 30 min'),
    weeklyLimits: {
      allModels: reading(40 + 12 * hours, '1 day'),
      sonnetOnly: sonnetMissing ? reading(0, '') : reading(7, 'Sat 12:00 PM')
    },
    ...(sonnetMissing ? { isPartial: true, extractionErrors: { sonnetOnly: 'not found' } } : {}),
    lastUpdated: new Date(t - 20_000).toISOString()
  }
})
const newestAt = BASE + 12 * 5 * MINUTE

t.test('a linear rise: the rate, the projection, an ok and an at-risk limit', async (t) => {
  const app = await build(t, { env: KEEP_ALL })
  await app.store.importVersions(rising)
  const forecast = await forecastOf(app)
  t.same(forecast.basedOn, { id: rising[12]?.id, receivedAt: new Date(newestAt).toISOString(), lastUpdated: new Date(newestAt - 20_000).toISOString() })
  t.ok(Math.abs(ms(forecast.generatedAt) - Date.now()) < 60_000, 'generatedAt is the time of the answer')

  const session = forecast.limits.currentSession as Limit
  t.equal(session.percentageUsed, 30)
  t.equal(session.asOf, new Date(newestAt).toISOString())
  t.equal(session.resetsIn, '2 hr 30 min')
  t.equal(ms(session.resetsAt), newestAt - 20_000 + 2.5 * HOUR, 'the duration counts from lastUpdated')
  t.equal(session.windowStart, new Date(BASE).toISOString(), 'no reset seen: the oldest retained version')
  t.ok(Math.abs((session.ratePerHour as number) - 20) <= 0.5, `rate ${session.ratePerHour} within 0.5 of 20 points/h`)
  const sessionFull = newestAt + (70 / 20) * HOUR
  t.ok(Math.abs(ms(session.projectedFullAt) - sessionFull) <= 3 * MINUTE, `projected ${session.projectedFullAt} within 3 min of ${new Date(sessionFull).toISOString()}`)
  t.equal(session.hitsLimitBeforeReset, false)
  t.equal(session.status, 'ok', 'fills after the reset')

  const weekly = forecast.limits.weeklyAllModels as Limit
  t.ok(Math.abs((weekly.ratePerHour as number) - 12) <= 0.5, `rate ${weekly.ratePerHour} within 0.5 of 12 points/h`)
  const weeklyFull = newestAt + (48 / 12) * HOUR
  t.ok(Math.abs(ms(weekly.projectedFullAt) - weeklyFull) <= 3 * MINUTE, `projected ${weekly.projectedFullAt} within 3 min of ${new Date(weeklyFull).toISOString()}`)
  t.equal(ms(weekly.resetsAt), newestAt - 20_000 + 24 * HOUR)
  t.equal(weekly.hitsLimitBeforeReset, true)
  t.equal(weekly.status, 'at-risk', 'fills before the reset')

  const sonnet = forecast.limits.weeklySonnet as Limit
  t.equal(sonnet.percentageUsed, 7, 'the newest real value, not the placeholder 0 of the newest version')
  t.equal(sonnet.asOf, new Date(newestAt).toISOString())
  t.equal(sonnet.windowStart, new Date(BASE).toISOString(), 'placeholders are no resets')
  t.equal(sonnet.ratePerHour, 0, 'a flat line through the real values only')
  t.equal(sonnet.projectedFullAt, null)
  t.equal(sonnet.hitsLimitBeforeReset, null)
  t.equal(sonnet.status, 'ok', 'a flat rate with a known reset')
  // Saturday 12:00 in Berlin after Monday 2 March 2026 (UTC+1 then).
  t.equal(sonnet.resetsAt, '2026-03-07T11:00:00.000Z', 'a wall-clock reset read in USAGE_TIMEZONE')
})

t.test('?at= answers as the service would have then', async (t) => {
  const app = await build(t, { env: KEEP_ALL })
  await app.store.importVersions(rising)
  // Between the 2nd and 3rd version: two values only, so no rate yet.
  const early = await forecastOf(app, `?at=${new Date(BASE + 7 * MINUTE).toISOString()}`)
  t.equal(early.basedOn?.id, rising[1]?.id)
  t.ok(Math.abs(ms(early.generatedAt) - Date.now()) < 60_000, 'generatedAt stays the time of the answer')
  const session = early.limits.currentSession as Limit
  t.equal(session.percentageUsed, 10 + 20 * (5 / 60))
  t.equal(session.ratePerHour, null, 'fewer than 3 values')
  t.equal(session.projectedFullAt, null)
  t.equal(session.status, 'unknown')
  t.equal(early.limits.weeklySonnet?.percentageUsed, 7, 'the 2nd version declares Sonnet missing: the 1st one\'s value')
  t.equal(early.limits.weeklySonnet?.asOf, new Date(BASE).toISOString())

  const half = await forecastOf(app, `?at=${new Date(BASE + 30 * MINUTE).toISOString()}`)
  t.equal(half.basedOn?.id, rising[6]?.id, 'a version received exactly at `at` counts')
  t.ok(Math.abs((half.limits.currentSession?.ratePerHour as number) - 20) <= 0.5)

  const before = await forecastOf(app, `?at=${new Date(BASE - MINUTE).toISOString()}`)
  t.same({ basedOn: before.basedOn, limits: before.limits }, { basedOn: null, limits: { currentSession: null, weeklyAllModels: null, weeklySonnet: null } }, 'before the first version')

  const bad = await app.inject({ method: 'GET', url: `${URL}?at=yesterday` })
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { success: false, errorCode: 'VALIDATION_ERROR', message: /at/ })
})

t.test('an empty store: basedOn null and every limit null', async (t) => {
  const app = await build(t)
  const forecast = await forecastOf(app)
  t.same({ basedOn: forecast.basedOn, limits: forecast.limits }, { basedOn: null, limits: { currentSession: null, weeklyAllModels: null, weeklySonnet: null } })
  t.same((await forecastOf(app, '?resets=true')).resets, { currentSession: [], weeklyAllModels: [], weeklySonnet: [] })
})

t.test('a reset starts a new window; a limit at 100 is reached; a limit never sent is null', async (t) => {
  const app = await build(t, { env: KEEP_ALL })
  // The session climbs to 100 and holds there; then drops to 4 (a reset) at the 20th version and
  // climbs again 6 points an hour. The weekly entry is never sent.
  await app.store.importVersions(history(30, (i, t) => ({
    currentSession: reading(i < 20 ? Math.min(100, 60 + i * 4) : 4 + (i - 20) * 0.5, '4 hr'),
    lastUpdated: new Date(t).toISOString()
  })))
  const atFull = await forecastOf(app, `?at=${new Date(BASE + 15 * 5 * MINUTE).toISOString()}`)
  t.match(atFull.limits.currentSession, { percentageUsed: 100, projectedFullAt: null, hitsLimitBeforeReset: null, status: 'limit-reached' })

  const forecast = await forecastOf(app, '?resets=true')
  const session = forecast.limits.currentSession as Limit
  t.equal(session.windowStart, new Date(BASE + 20 * 5 * MINUTE).toISOString(), 'the first version after the drop')
  t.ok(Math.abs((session.ratePerHour as number) - 6) <= 0.5, 'the rate of the new window only')
  t.equal(session.status, 'ok', '8.5 % rising 6 points an hour does not fill in 4 hours')
  t.same(forecast.resets?.currentSession, [new Date(BASE + 20 * 5 * MINUTE).toISOString()])
  t.equal(forecast.limits.weeklyAllModels, null)
  t.equal(forecast.limits.weeklySonnet, null)
})

t.test('reads need the read key when one is set; the route is documented', async (t) => {
  const app = await build(t, { env: { CLAUDE_READ_API_KEY: 'reader-key-0123456789' } })
  t.equal((await app.inject({ method: 'GET', url: URL })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: URL, headers: { 'x-api-key': 'reader-key-0123456789' } })).statusCode, 200)
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, { get?: { responses: Record<string, unknown>, parameters?: Array<{ name: string }> } }> }>()
  const route = document.paths[URL]?.get
  t.ok(route, 'listed in the OpenAPI document')
  t.same(route?.parameters?.map((parameter) => parameter.name).sort(), ['at', 'resets'])
  t.same(Object.keys(route?.responses ?? {}).sort(), ['200', '400', '401', '429', '500'])
})
