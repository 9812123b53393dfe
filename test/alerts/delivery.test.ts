// Alerts as a receiver sees them, from the app with shortened retry timings and a real local HTTP
// receiver: one alert per threshold, limit and window, retried with the same id until it is taken,
// signed; a partial scrape raises nothing; forecast at risk; stale, then recovered; storage, then
// recovered; the slack and ntfy shapes.
import t from 'tap'
import { createHmac } from 'node:crypto'
import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { build, tempDir, WRITE_KEY } from '../helper.js'
import { startReceiver, type Receiver } from './receiver.js'

const SECRET = 'receiver-shared-secret'
const FAST = { firstRetryMs: 20, maxRetryMs: 80, sweepMs: 500, timeoutMs: 2_000, closeGraceMs: 200, staleCheckMs: 20, storageCheckMs: 60_000 }
const PATH = '/api/claude/console-usage'

interface Usage { session?: number, all?: number, sonnet?: number }

/**
 * A scraper payload; a section left out of `usage` is declared missing in `extractionErrors`, as the
 * real scraper does, with its placeholder `{ resetsIn: "", percentageUsed: 0 }`.
 */
function payload (usage: Usage, lastUpdated = new Date().toISOString()): Record<string, unknown> {
  const entry = (value: number | undefined, resetsIn: string): Record<string, unknown> =>
    value === undefined ? { resetsIn: '', percentageUsed: 0 } : { resetsIn, percentageUsed: value }
  const errors: Record<string, string> = {}
  if (usage.session === undefined) errors.currentSession = 'not found on the page'
  if (usage.all === undefined) errors.allModels = 'not found on the page'
  if (usage.sonnet === undefined) errors.sonnetOnly = 'not found on the page'
  return {
    ...(usage.session === undefined ? {} : { currentSession: entry(usage.session, '2 hr 42 min') }),
    weeklyLimits: { allModels: entry(usage.all, '3 days 4 hr'), sonnetOnly: entry(usage.sonnet, '3 days 4 hr') },
    lastUpdated,
    ...(Object.keys(errors).length === 0 ? {} : { isPartial: true, extractionErrors: errors })
  }
}

async function post (app: FastifyInstance, body: Record<string, unknown>): Promise<void> {
  const response = await app.inject({ method: 'POST', url: PATH, headers: { 'x-api-key': WRITE_KEY }, payload: body })
  if (response.statusCode !== 200) throw new Error(`POST answered ${response.statusCode}: ${response.body}`)
}

async function alertApp (t: Parameters<typeof build>[0], receiver: Receiver, env: Record<string, string> = {}): Promise<FastifyInstance> {
  return await build(t, {
    env: { ALERT_WEBHOOK_URL: receiver.url, ALERT_WEBHOOK_SECRET: SECRET, ALERT_STALE_MINUTES: '0', LOG_LEVEL: process.env.DBG ?? 'silent', ...env },
    alerts: { timings: FAST }
  })
}

/** GET /alerts once every alert recorded has the outcome `settled` asks for. */
async function alertsWhen (app: FastifyInstance, settled: (alert: Record<string, unknown>) => boolean): Promise<Array<Record<string, unknown>>> {
  for (;;) {
    const list = await app.inject({ url: `${PATH}/alerts`, headers: { 'x-api-key': WRITE_KEY } })
    if (list.statusCode !== 200) throw new Error(`GET /alerts answered ${list.statusCode}`)
    const { alerts } = list.json<{ alerts: Array<Record<string, unknown>> }>()
    if (alerts.length > 0 && alerts.every(settled)) return alerts
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const ids = (bodies: Array<Record<string, unknown>>): string[] => bodies.map((body) => body.id as string)

t.test('one alert per threshold, limit and window, retried with the same id until taken, signed', async (t) => {
  const receiver = await startReceiver(t)
  receiver.answer = ({ attempt }) => attempt <= 2 ? 503 : 200
  const app = await alertApp(t, receiver)
  await post(app, payload({ session: 10, all: 50, sonnet: 5 }))
  await post(app, payload({ session: 12, all: 82, sonnet: 5 }))
  await post(app, payload({ session: 14, all: 85, sonnet: 5 }))
  await post(app, payload({ session: 16, all: 96, sonnet: 5 }))
  await post(app, payload({ session: 18, all: 97, sonnet: 5 }))
  await receiver.until(() => receiver.delivered().length >= 2, 'two delivered alerts')

  const delivered = receiver.delivered()
  t.same(delivered.map((body) => [body.kind, body.limit, body.threshold]).sort(), [['threshold', 'weeklyAllModels', 80], ['threshold', 'weeklyAllModels', 95]])
  for (const body of delivered) {
    const attempts = receiver.requests.filter((request) => request.headers['idempotency-key'] === body.id)
    t.same(attempts.map((request) => request.status), [503, 503, 200], `${String(body.id)}: refused twice, then taken`)
    t.ok(attempts.every((request) => request.body === attempts[0]?.body), 'every attempt is the same body, with the same id')
    for (const request of attempts) {
      const expected = `sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`
      t.equal(request.headers['x-usage-vault-signature'], expected, 'the signature verifies')
      t.equal(request.headers['content-type'], 'application/json')
    }
    t.same(Object.keys(body).sort(), ['createdAt', 'id', 'kind', 'limit', 'message', 'percentageUsed', 'projectedFullAt', 'resetsAt', 'threshold', 'versionId'].sort())
  }
  t.match(delivered.find((body) => body.threshold === 80), { percentageUsed: 82, message: /Weekly limit \(all models\) is at 82 %, past the 80 % threshold/ })

  const alerts = await alertsWhen(app, (alert) => alert.deliveredAt !== null)
  t.same(alerts.map((alert) => [alert.threshold, alert.attempts, alert.lastError, alert.nextAttemptAt, typeof alert.deliveredAt]).sort(), [[80, 3, null, null, 'string'], [95, 3, null, null, 'string']])

  // A reset (a drop of 10 points or more) opens a new window: the same thresholds alert again, once.
  receiver.answer = () => 200
  await post(app, payload({ session: 20, all: 3, sonnet: 5 }))
  await post(app, payload({ session: 22, all: 81, sonnet: 5 }))
  await post(app, payload({ session: 24, all: 79, sonnet: 5 }))
  await post(app, payload({ session: 26, all: 83, sonnet: 5 }))
  await receiver.until(() => receiver.delivered().length >= 3, 'the alert of the new window')
  await app.inject({ url: `${PATH}/alerts` })
  const now = receiver.delivered()
  t.equal(now.length, 3, 'a dip below the threshold and back within one window alerts nothing new')
  t.match(now[2], { kind: 'threshold', limit: 'weeklyAllModels', threshold: 80, percentageUsed: 81 })
  t.equal(new Set(ids(now)).size, 3)
})

t.test('a partial scrape raises nothing for the sections it misses', async (t) => {
  const receiver = await startReceiver(t)
  const app = await alertApp(t, receiver)
  await post(app, payload({ session: 10, all: 85, sonnet: 5 }))
  // Read as a value, the placeholder 0 would be a reset, and 86 after it a second crossing of 80.
  await post(app, payload({ session: 11, sonnet: 5 }))
  await post(app, payload({ session: 12, all: 86, sonnet: 5 }))
  // Sonnet missing: its placeholder is no value either.
  await post(app, payload({ session: 13, all: 87 }))
  // Evaluations run in order: once this one's alert is in, every version before it was evaluated.
  await post(app, payload({ session: 14, all: 88, sonnet: 90 }))
  await receiver.until(() => receiver.delivered().length >= 2, 'the alert of the last version')
  t.same(receiver.delivered().map((body) => [body.limit, body.threshold, body.percentageUsed]), [['weeklyAllModels', 80, 85], ['weeklySonnet', 80, 90]])
  t.equal((await alertsWhen(app, () => true)).length, 2, 'nothing else was recorded')
})

t.test('a forecast that turns at-risk alerts once for its window', async (t) => {
  const receiver = await startReceiver(t)
  let now = Date.now() - 40 * 60_000
  const app = await build(t, {
    env: { ALERT_WEBHOOK_URL: receiver.url, ALERT_STALE_MINUTES: '0', ALERT_THRESHOLDS: '99' },
    alerts: { timings: FAST },
    clock: () => now
  })
  // 2 points a minute in the session, which resets in 4 hours: full long before.
  for (const [step, session] of [10, 20, 30, 40, 50].entries()) {
    now = Date.now() - (40 - 5 * step) * 60_000
    const at = new Date(now).toISOString()
    await post(app, { currentSession: { resetsIn: '4 hr', percentageUsed: session }, weeklyLimits: { allModels: { resetsIn: '3 days', percentageUsed: 20 }, sonnetOnly: { resetsIn: '3 days', percentageUsed: 5 } }, lastUpdated: at })
  }
  // The last version raises nothing new; this one sets the evaluations' end mark.
  await post(app, { currentSession: { resetsIn: '4 hr', percentageUsed: 60 }, weeklyLimits: { allModels: { resetsIn: '3 days', percentageUsed: 99 }, sonnetOnly: { resetsIn: '3 days', percentageUsed: 5 } }, lastUpdated: new Date(now).toISOString() })
  await receiver.until(() => receiver.delivered().some((body) => body.kind === 'threshold'), 'the end mark')
  const forecasts = receiver.delivered().filter((body) => body.kind === 'forecast')
  t.equal(forecasts.length, 1, 'one forecast alert, though the limit stayed at risk')
  t.match(forecasts[0], { limit: 'currentSession', percentageUsed: 30, threshold: null, projectedFullAt: /^\d{4}-/, resetsAt: /^\d{4}-/, message: /Current session is at 30 %/ })
  t.ok(Date.parse(forecasts[0]?.projectedFullAt as string) < Date.parse(forecasts[0]?.resetsAt as string), 'full before the reset')
})

t.test('stale once, then recovered when data comes again', async (t) => {
  const receiver = await startReceiver(t)
  const app = await alertApp(t, receiver, { ALERT_STALE_MINUTES: '0.005' })
  await post(app, payload({ session: 10, all: 20, sonnet: 5 }))
  await receiver.until(() => receiver.delivered().length >= 1, 'the stale alert')
  // Silence checks go on meanwhile (every 20 ms): the same silence is never alerted twice.
  await new Promise((resolve) => setTimeout(resolve, 150))
  await post(app, payload({ session: 11, all: 20, sonnet: 5 }))
  await receiver.until(() => receiver.delivered().some((body) => body.kind === 'recovered'), 'the recovered alert')
  const [stale, recovered] = receiver.delivered()
  t.match(stale, { kind: 'stale', limit: null, message: /No usage snapshot has arrived/ })
  t.match(recovered, { kind: 'recovered', message: /arrive again/ })
  t.not(recovered?.versionId, stale?.versionId, 'recovered names the version that came')
})

t.test('the slack and ntfy shapes, through the test alert, which answers with the receiver\'s status', async (t) => {
  const receiver = await startReceiver(t)
  const slack = await alertApp(t, receiver, { ALERT_WEBHOOK_FORMAT: 'slack' })
  const sent = await slack.inject({ method: 'POST', url: `${PATH}/alerts/test`, headers: { 'x-api-key': WRITE_KEY } })
  t.equal(sent.statusCode, 200)
  t.match(sent.json(), { success: true, delivered: true, receiverStatus: 200, error: null, alert: { kind: 'test' } })
  const slackRequest = receiver.requests[0]
  t.equal(slackRequest?.headers['content-type'], 'application/json')
  t.same(Object.keys(JSON.parse(slackRequest?.body ?? '{}') as object), ['text'])
  t.match(JSON.parse(slackRequest?.body ?? '{}'), { text: /test alert from usage-vault/ })

  receiver.answer = () => 500
  const ntfy = await alertApp(t, receiver, { ALERT_WEBHOOK_FORMAT: 'ntfy' })
  const refused = await ntfy.inject({ method: 'POST', url: `${PATH}/alerts/test`, headers: { 'x-api-key': WRITE_KEY } })
  t.match(refused.json(), { delivered: false, receiverStatus: 500, error: 'HTTP 500' })
  const ntfyRequest = receiver.requests[1]
  t.match(ntfyRequest?.headers, { 'content-type': 'text/plain; charset=utf-8', title: 'usage-vault test alert', priority: '3', tags: 'test_tube' })
  t.match(ntfyRequest?.body, /^A test alert from usage-vault/)
  t.equal(ntfyRequest?.headers['x-usage-vault-signature'], `sha256=${createHmac('sha256', SECRET).update(ntfyRequest?.body ?? '').digest('hex')}`)

  t.equal((await ntfy.inject({ method: 'POST', url: `${PATH}/alerts/test` })).statusCode, 401, 'the write key is needed')
  const off = await build(t)
  const disabled = await off.inject({ method: 'POST', url: `${PATH}/alerts/test`, headers: { 'x-api-key': WRITE_KEY } })
  t.match(disabled, { statusCode: 409 })
  t.match(disabled.json(), { errorCode: 'ALERTS_DISABLED', suggestion: /ALERT_WEBHOOK_URL/ })
  t.same((await off.inject({ url: `${PATH}/alerts` })).json(), { enabled: false, alerts: [] })
})

t.test('storage: /health turns 503 (the lock lost), then recovered once it is back', async (t) => {
  const receiver = await startReceiver(t)
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir, env: { ALERT_WEBHOOK_URL: receiver.url, ALERT_STALE_MINUTES: '0' }, alerts: { timings: { ...FAST, storageCheckMs: 20 } } })
  const lock = join(dataDir, '.lock')
  await rename(lock, `${lock}.away`)
  t.equal((await app.inject({ url: '/health' })).statusCode, 503)
  await receiver.until(() => receiver.delivered().length >= 1, 'the storage alert')
  await rename(`${lock}.away`, lock)
  await receiver.until(() => receiver.delivered().length >= 2, 'the recovered alert')
  t.same(receiver.delivered().map((body) => body.kind), ['storage', 'recovered'])
  t.match(receiver.delivered()[0], { message: /cannot store snapshots \(\/health answers 503\)/ })
})
