// Delivery across a crash, with the real service: alerts are recorded before their first attempt,
// the receiver refuses them, the service is killed (SIGKILL), the receiver comes back, and the next
// start delivers every recorded alert, each once; a start after that sends nothing again.
import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { startService, WRITE_KEY } from '../ops/lib.js'
import { startReceiver } from './receiver.js'

const usage = (all: number, sonnet: number): string => JSON.stringify({
  currentSession: { resetsIn: '2 hr', percentageUsed: 10 },
  weeklyLimits: { allModels: { resetsIn: '3 days', percentageUsed: all }, sonnetOnly: { resetsIn: '3 days', percentageUsed: sonnet } },
  lastUpdated: new Date().toISOString()
})

/** On a failed wait, the service's alert log says what it was doing. */
const withLog = (service: { lines: string[] }) => (error: unknown): never => {
  t.comment(service.lines.filter((line) => line.includes('alert')).join('\n'))
  throw error
}

t.test('kill -9 while the receiver refuses: after the restart every recorded alert is delivered, none twice', async (t) => {
  const receiver = await startReceiver(t)
  receiver.answer = () => 503
  const dataDir = await tempDir(t)
  const env = { DATA_DIR: dataDir, ALERT_WEBHOOK_URL: receiver.url, ALERT_STALE_MINUTES: '0', LOG_LEVEL: 'info' }
  const first = await startService(t, env)
  for (const [all, sonnet] of [[50, 50], [85, 50], [96, 90]] as const) {
    const answer = await fetch(`http://127.0.0.1:${first.port}/api/claude/console-usage`, {
      method: 'POST', headers: { 'x-api-key': WRITE_KEY, 'content-type': 'application/json' }, body: usage(all, sonnet)
    })
    t.equal(answer.status, 200)
  }
  const attemptsOf = (id: string): number => receiver.requests.filter((request) => request.headers['idempotency-key'] === id).length
  const keys = (): string[] => [...new Set(receiver.requests.map((request) => String(request.headers['idempotency-key'])))]
  await receiver.until(() => keys().length === 3 && keys().every((id) => attemptsOf(id) >= 2), 'two refused attempts of three alerts').catch(withLog(first))
  first.child.kill('SIGKILL')
  t.same(await first.exited, { code: null, signal: 'SIGKILL' })

  // A write the kill cut short may leave a temporary file (named with a dot), which the next start removes.
  const files = (await readdir(join(dataDir, '_alerts'))).filter((name) => !name.startsWith('.')).sort()
  t.same(files, keys().map((id) => `${id}.json`).sort(), 'each alert was recorded, a file of its own')
  for (const file of files) {
    const recorded = JSON.parse(await readFile(join(dataDir, '_alerts', file), 'utf8')) as Record<string, unknown>
    t.match(recorded, { deliveredAt: null, lastError: 'HTTP 503' })
  }

  receiver.answer = () => 200
  const second = await startService(t, env)
  await receiver.until(() => receiver.delivered().length >= 3, 'the three alerts delivered').catch(withLog(second))
  await second.waitForLine(/"msg":"pending alerts resumed"/)
  for (const id of keys()) {
    await second.waitForLine(new RegExp(`"alertId":"${id}".*"msg":"alert delivered"`))
  }
  second.child.kill('SIGTERM')
  t.same(await second.exited, { code: 0, signal: null }, 'a graceful close')

  const third = await startService(t, env)
  t.match(await third.waitForLine(/"msg":"pending alerts resumed"/), /"pending":0/, 'nothing left to send')
  const list = await fetch(`http://127.0.0.1:${third.port}/api/claude/console-usage/alerts`)
  const { alerts } = await list.json() as { alerts: Array<{ id: string, deliveredAt: string | null, attempts: number }> }
  t.equal(alerts.length, 3)
  t.ok(alerts.every((alert) => alert.deliveredAt !== null && alert.attempts >= 2), 'each delivered, after its refused attempts (an attempt cut off by the kill may not be counted)')
  third.child.kill('SIGTERM')
  await third.exited

  const delivered = receiver.delivered().map((body) => body.id as string)
  t.equal(delivered.length, 3, 'three deliveries in all')
  t.same([...new Set(delivered)].sort(), keys().sort(), 'each alert delivered once')
  t.same(receiver.delivered().map((body) => [body.limit, body.threshold]).sort(), [['weeklyAllModels', 80], ['weeklyAllModels', 95], ['weeklySonnet', 80]])
})
