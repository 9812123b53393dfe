// The page's list of recent alerts, in a real headless Chromium against the built service: an alert
// delivered, and one the receiver keeps refusing, each with its message and how its delivery went.
/// <reference lib="dom" />
import t from 'tap'
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { tempDir } from '../helper.js'
import { startService, WRITE_KEY } from '../ops/lib.js'
import { startReceiver } from '../alerts/receiver.js'

const CHROMIUM = '/usr/bin/chromium'

const usage = (all: number, sonnet: number): string => JSON.stringify({
  currentSession: { resetsIn: '2 hr', percentageUsed: 10 },
  weeklyLimits: { allModels: { resetsIn: '3 days', percentageUsed: all }, sonnetOnly: { resetsIn: '3 days', percentageUsed: sonnet } },
  lastUpdated: new Date().toISOString()
})

t.test('the page lists the recent alerts and how their delivery went', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(`${CHROMIUM} is missing: apt-get install chromium (as .ci/run does)`)
    return
  }
  const receiver = await startReceiver(t)
  receiver.answer = ({ body }) => body.includes('Sonnet') ? 503 : 200
  const service = await startService(t, { DATA_DIR: await tempDir(t), ALERT_WEBHOOK_URL: receiver.url, ALERT_STALE_MINUTES: '0' })
  const url = `http://127.0.0.1:${service.port}`
  for (const [all, sonnet] of [[50, 50], [85, 90]] as const) {
    const answer = await fetch(`${url}/api/claude/console-usage`, { method: 'POST', headers: { 'x-api-key': WRITE_KEY, 'content-type': 'application/json' }, body: usage(all, sonnet) })
    t.equal(answer.status, 200)
  }
  await receiver.until(() => receiver.delivered().length === 1 && receiver.requests.length >= 2, 'one alert delivered, one refused')

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ locale: 'en-US' })
  await page.goto(`${url}/`)
  await page.waitForSelector('#alerts:not([hidden]) #alerts-list li + li', { timeout: 15_000 })
  const rows = await page.$$eval('#alerts-list li', (items) => items.map((item) => ({
    kind: (item as HTMLElement).dataset.kind,
    delivery: (item as HTMLElement).dataset.delivery,
    text: item.textContent ?? ''
  })))
  const delivered = rows.find((row) => row.delivery === 'delivered')
  const refused = rows.find((row) => row.delivery === 'pending')
  t.match(delivered, { kind: 'threshold', text: /Threshold.*delivered.*Weekly limit \(all models\) is at 85 %/ })
  t.match(refused, { kind: 'threshold', text: /retrying \(\d+ attempts?: HTTP 503\).*Weekly limit \(Sonnet only\) is at 90 %/ })
  t.equal(await page.isHidden('#alerts-empty'), true)
})
