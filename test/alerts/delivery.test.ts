// Alerts as a receiver sees them, from the app with shortened retry timings and a real local HTTP
// receiver: one alert per threshold, limit and window, retried with the same id until it is taken,
// signed; a partial scrape raises nothing; stale, then recovered; the slack and ntfy shapes.
import t from 'tap'
import { createHmac } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { build, WRITE_KEY } from '../helper.js'
import { startReceiver, type Receiver } from './receiver.js'

const SECRET = 'receiver-shared-secret'
const FAST = { firstRetryMs: 20, maxRetryMs: 80, sweepMs: 500, timeoutMs: 2_000, closeGraceMs: 200, staleCheckMs: 20, storageCheckMs: 60_000 }
const PATH = '/api/claude/console-usage'

interface Usage { session?: number, all?: number, sonnet?: number }

/**
 * A scraper payload; a section left out of `usage` is declared missing in `extractionErrors`, as the
 * real scraper does, with a placeholder of 0 % (its reset text is not empty, which main's schema
 * still refuses for a placeholder).
 */
function payload (usage: Usage, lastUpdated = new Date().toISOString()): Record<string, unknown> {
  const entry = (value: number | undefined, resetsIn: string): Record<string, unknown> =>
    value === undefined ? { resetsIn: 'n/a', percentageUsed: 0 } : { resetsIn, percentageUsed: value }
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
