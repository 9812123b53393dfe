// The history page in a real headless Chromium, against the built server process on a data folder
// of 500 versions over 7 days: what a visitor sees, what the chart was given, live updates, the
// read-key prompt. Saves screenshots to test/artifacts/ for a person to look at.
// The functions given to page.evaluate run in the browser and use its globals; the build
// (tsconfig.build.json) leaves test/ out, so this lib never reaches the service's code.
/// <reference lib="dom" />
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { formatId } from '../../src/storage/ids.js'
import type { ImportedVersion } from '../../src/storage/types.js'
import { tempDir, WRITE_KEY } from '../helper.js'

const CHROMIUM = '/usr/bin/chromium'
const ZONE = 'Europe/Berlin'
const SERVER = fileURLToPath(new URL('../../dist/src/server.js', import.meta.url))
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url))
const READ_KEY = 'test-read-key-abcdef'
const MINUTE = 60_000
const GAP = 15 * MINUTE
const SESSION = 'currentSession.percentageUsed'
const WEEKLY = 'weeklyLimits.allModels.percentageUsed'
const SONNET = 'weeklyLimits.sonnetOnly.percentageUsed'

// Reset texts as durations, so the forecast does not depend on the weekday the test runs.
function payload (session: number, weekly: number, sonnet: number, receivedAt: number): Record<string, unknown> {
  return {
    currentSession: { resetsIn: '2 hr 42 min', percentageUsed: session },
    weeklyLimits: {
      allModels: { resetsIn: '3 days 4 hr', percentageUsed: weekly },
      sonnetOnly: { resetsIn: '1 day 2 hr', percentageUsed: sonnet }
    },
    lastUpdated: new Date(receivedAt - 20_000).toISOString()
  }
}

/**
 * 500 versions as a laptop sends them: five waking stretches of 100 scrapes, 5 minutes apart, with
 * the nights between them silent, and once a 20-minute silence in the middle of a day. The newest
 * is 2 minutes old (fresh), with the weekly figure above 80 %. Forecasts then: the session climbs
 * about 19 points an hour from 64 and fills before its reset in 2 h 42 min (at risk); the weekly
 * figure climbs about 1.9 an hour from 83 and fills in 9 h, days before its reset (at risk); Sonnet
 * climbs 0.7 an hour from 30 and stays under the limit until its reset in 26 hours (ok).
 */
function history (now: number): ImportedVersion[] {
  const versions: ImportedVersion[] = []
  const dayStarts = [6.8, 5.4, 4, 2.6].map((days) => now - days * 24 * 60 * MINUTE)
  dayStarts.push(now - 2 * MINUTE - 99 * 5 * MINUTE)
  dayStarts.forEach((start, day) => {
    for (let i = 0; i < 100; i++) {
      // Day 3 has a 20-minute silence after its 50th scrape (three scrapes late, not lost).
      const late = day === 2 && i >= 50 ? 15 * MINUTE : 0
      // Whole seconds: a file the store has no index for was received at the second its name gives.
      const receivedAt = Math.floor((start + i * 5 * MINUTE + late) / 1000) * 1000
      const n = versions.length
      // The session window resets every 5 hours (60 scrapes); the weekly figures only climb.
      const session = Math.round((i % 60) * 1.6)
      const weekly = Math.round(5 + (78 * n) / 499)
      const sonnet = Math.round(2 + (28 * n) / 499)
      versions.push({ id: formatId(receivedAt, n), receivedAt, payload: payload(session, weekly, sonnet, receivedAt) })
    }
  })
  const last = versions[versions.length - 1] as ImportedVersion
  last.payload = payload(64, 83, 30, last.receivedAt)
  return versions
}

interface Server {
  url: string
  process: ChildProcess
}

async function startServer (t: Test, dataDir: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [SERVER], {
    cwd: dataDir,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      output += chunk
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match !== null) resolve(match[1] as string)
    })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.once('exit', (code) => reject(new Error(`server exited (${code ?? 'signal'}) before listening:\n${output}`)))
  })
  t.teardown(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  })
  return { url, process: child }
}

async function launch (t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  return browser
}

/** Everything the page logs as an error, and every uncaught exception. */
function collectErrors (page: Page): string[] {
  const errors: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()) })
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`))
  return errors
}

async function getJson (url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, { headers })
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`)
  return await response.json()
}

type ChartData = Array<Array<number | null | undefined>>
type Forecast = import('../../src/insights/forecast.js').Forecast & { resets?: Record<string, string[]> }
type Limit = import('../../src/insights/forecast.js').Limit
interface Segment { x0: number, y0: number, x1: number, y1: number }

const clock = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
const weekday = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, weekday: 'short' })
const day = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, dateStyle: 'short' })

/** A time as the page shows it in ZONE: "15:40" on the day of `now`, "Thu 15:40" on another. */
function clockIn (iso: string | null, now: number): string {
  const at = Date.parse(iso ?? '')
  return day.format(at) === day.format(now) ? clock.format(at) : `${weekday.format(at)} ${clock.format(at)}`
}

/** "50 min" or "1 h 5 min", as the page writes a span under a day. */
function minutesText (ms: number): string {
  const minutes = Math.round(ms / MINUTE)
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

/** How many of 9 points along a segment (10 % to 90 % of its length) have ink of a colour nearby. */
async function inkedAlong (page: Page, segment: Segment, colour: string): Promise<number> {
  return await page.evaluate(([{ x0, y0, x1, y1 }, name]) => {
    const u = (window as unknown as { usageVault: { plot: { valToPos: (v: number, s: string, c: boolean) => number } } }).usageVault.plot
    const canvas = document.querySelector('.uplot canvas') as HTMLCanvasElement
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D
    const hex = getComputedStyle(document.documentElement).getPropertyValue(name).trim()
    const rgb = [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16))
    let hits = 0
    for (let k = 1; k <= 9; k++) {
      const f = k / 10
      const x = Math.round(u.valToPos((x0 + (x1 - x0) * f) / 1000, 'x', true))
      const y = Math.round(u.valToPos(y0 + (y1 - y0) * f, 'y', true))
      const pixels = ctx.getImageData(x - 2, y - 2, 5, 5).data
      for (let i = 0; i < pixels.length; i += 4) {
        if ((pixels[i + 3] as number) >= 200 && rgb.every((v, c) => Math.abs(v - (pixels[i + c] as number)) < 40)) {
          hits++
          break
        }
      }
    }
    return hits
  }, [segment, colour] as const)
}

t.test('the history page, in Chromium, against the built server', async (t) => {
  if (!existsSync(CHROMIUM)) t.fail(`${CHROMIUM} is missing: apt-get install chromium (as .ci/run does)`)
  if (!existsSync(SERVER)) t.fail('dist/src/server.js is missing: npx tsc -p tsconfig.build.json (npm test builds first)')
  if (!existsSync(CHROMIUM) || !existsSync(SERVER)) return

  const dataDir = await tempDir(t, 'usage-vault-page-')
  const now = Date.now()
  const versions = history(now)
  // Version files as the earlier server left them (no index): the service reads them at start.
  const historyDir = join(dataDir, 'console-usage-history')
  await mkdir(historyDir)
  await Promise.all(versions.map(async (version) =>
    await writeFile(join(historyDir, `${version.id}.json`), JSON.stringify(version.payload, null, 2))))

  const server = await startServer(t, dataDir, { CLAUDE_SYNC_API_KEY: WRITE_KEY, CLAUDE_READ_API_KEY: READ_KEY })
  const browser = await launch(t)
  await mkdir(ARTIFACTS, { recursive: true })
  const keyHeader = { 'X-API-Key': READ_KEY }

  t.test('shows the current numbers, the history with its gaps, and new versions live', async (t) => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 880 }, colorScheme: 'light', reducedMotion: 'reduce', timezoneId: ZONE, locale: 'en-US' })
    t.teardown(() => context.close())
    // A visitor who entered the key before: it is in localStorage, so nothing is refused.
    await context.addInitScript((key) => { localStorage.setItem('usage-vault.read-key', key) }, READ_KEY)
    const page = await context.newPage()
    const errors = collectErrors(page)
    await page.goto(server.url + '/')
    await page.waitForSelector('body[data-state="ready"][data-live="on"]', { timeout: 10_000 })

    const pct = async (field: string): Promise<string | null> => await page.textContent(`.meter[data-field="${field}"] .pct`)
    t.equal(await pct('session'), '64')
    t.equal(await pct('weekly'), '83')
    t.equal(await pct('sonnet'), '30')

    // Each card says what its forecast says, in words, and when it resets, in the visitor's zone.
    const forecast = await getJson(`${server.url}/api/claude/console-usage/forecast?resets=true`, keyHeader) as Forecast
    const text = async (field: string, part: string): Promise<string | null> => await page.textContent(`.meter[data-field="${field}"] .${part}`)
    const session = forecast.limits.currentSession as Limit
    const weekly = forecast.limits.weeklyAllModels as Limit
    t.match(session, { status: 'at-risk' })
    t.match(weekly, { status: 'at-risk' })
    t.match(forecast.limits.weeklySonnet, { status: 'ok' })
    t.equal(await text('session', 'forecast'),
      `At this pace: full at ${clockIn(session.projectedFullAt, now)}, ${minutesText(Date.parse(session.resetsAt as string) - Date.parse(session.projectedFullAt as string))} before the reset`)
    t.match(await text('weekly', 'forecast'), new RegExp(`^At this pace: full at ${clockIn(weekly.projectedFullAt, now)}, [12] days? \\d+ h before the reset$`))
    t.equal(await text('sonnet', 'forecast'), 'Stays under the limit until the reset')
    t.equal(await page.getAttribute('.meter[data-field="session"] .forecast', 'data-status'), 'at-risk')
    t.match(await text('session', 'reset'), new RegExp(`^Resets ${clockIn(session.resetsAt, now)} · in 2 h (4[0-2]|39) min$`))
    t.match(await text('weekly', 'reset'), new RegExp(`^Resets ${clockIn(weekly.resetsAt, now)} · in 3 days 3 h$`))

    // The projections start at each limit's newest point; the session's and weekly's reach 100 %
    // before their resets, Sonnet's stops at its reset.
    const projections = await page.evaluate(() => (window as unknown as { usageVault: { projections: Record<string, Segment | null> } }).usageVault.projections)
    t.same(projections.session, { x0: Date.parse(session.asOf), y0: 64, x1: Date.parse(session.projectedFullAt as string), y1: 100 })
    t.same(projections.weekly, { x0: Date.parse(weekly.asOf), y0: 83, x1: Date.parse(weekly.projectedFullAt as string), y1: 100 })
    const sonnetProjection = projections.sonnet as Segment
    t.equal(sonnetProjection.x1, Date.parse(forecast.limits.weeklySonnet?.resetsAt as string))
    t.ok(sonnetProjection.y1 > 30 && sonnetProjection.y1 < 100, 'Sonnet stops short of 100 % at its reset')
    // And on screen: ink of each limit's colour along its dashed projection, past the last point.
    for (const [field, segment] of Object.entries(projections)) {
      t.ok(await inkedAlong(page, segment as Segment, `--${field}`) >= 4, `the ${field} projection is drawn`)
    }
    t.ok((forecast.resets?.currentSession?.length ?? 0) >= 5, 'the session resets the service observed are there to mark')
    await page.screenshot({ path: `${ARTIFACTS}history-page-forecast.png`, fullPage: true })

    t.same(await page.$$eval('.meter.high', (cards) => cards.map((card) => (card as HTMLElement).dataset.field)), ['weekly'],
      'only the figure above 80 % is red')
    const red = await page.$eval('.meter[data-field="weekly"] .fill', (fill) => getComputedStyle(fill).backgroundColor)
    const blue = await page.$eval('.meter[data-field="session"] .fill', (fill) => getComputedStyle(fill).backgroundColor)
    t.not(red, blue)
    t.equal(await page.getAttribute('#freshness', 'data-status'), 'fresh', 'the newest version is 2 minutes old')
    t.equal(await page.isVisible('#key-dialog'), false, 'a kept key is not asked for again')

    // The chart was given every point of the series, and a null exactly where the scraper was silent.
    const data = await page.evaluate(() => (window as unknown as { usageVault: { chartData: ChartData } }).usageVault.chartData)
    const xs = data[0] as number[]
    const series = await Promise.all([SESSION, WEEKLY, SONNET].map(async (field) =>
      await getJson(`${server.url}/api/claude/console-usage/series?field=${field}&points=10000`, keyHeader) as { points: Array<{ t: string, value: number }> }))
    for (const [index, answer] of series.entries()) {
      const field = [SESSION, WEEKLY, SONNET][index] as string
      t.equal(answer.points.length, 500, field)
      const drawn = answer.points.filter((point) => {
        const at = xs.indexOf(Date.parse(point.t) / 1000)
        return at !== -1 && data[index + 1]?.[at] === point.value
      })
      t.equal(drawn.length, answer.points.length, `every point of ${field} is given to the chart`)
    }
    const gapRows = xs.flatMap((x, i) => (data.slice(1).every((ys) => ys[i] === null) ? [i] : []))
    const silences = versions.flatMap((version, i) => {
      const previous = versions[i - 1]
      return previous !== undefined && version.receivedAt - previous.receivedAt > GAP ? [[previous.receivedAt, version.receivedAt]] : []
    })
    t.equal(silences.length, 5, 'four nights and one 20-minute silence')
    t.equal(gapRows.length, silences.length, 'one gap for each silence, and none elsewhere')
    for (const [from, to] of silences) {
      t.ok(gapRows.some((i) => (xs[i] as number) * 1000 > (from as number) && (xs[i] as number) * 1000 < (to as number)),
        `a gap between ${new Date(from as number).toISOString()} and ${new Date(to as number).toISOString()}`)
    }

    // And on screen: in the middle of a night no line is drawn; in the middle of a day one is.
    const inked = async (time: number): Promise<boolean> => await page.evaluate((x) => {
      const plot = document.querySelector('.uplot') as HTMLElement
      const canvas = plot.querySelector('canvas') as HTMLCanvasElement
      const u = (window as unknown as { usageVault: { plot: { valToPos: (v: number, s: string, c: boolean) => number, bbox: { top: number, height: number } } } }).usageVault.plot
      const column = Math.round(u.valToPos(x, 'x', true))
      const pixels = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(column, u.bbox.top, 1, u.bbox.height).data
      const styles = getComputedStyle(document.documentElement)
      const colours = ['--session', '--weekly', '--sonnet'].map((name) => {
        const hex = styles.getPropertyValue(name).trim()
        return [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16))
      })
      for (let i = 0; i < pixels.length; i += 4) {
        if ((pixels[i + 3] as number) < 200) continue
        if (colours.some((c) => c.every((v, k) => Math.abs(v - (pixels[i + k] as number)) < 40))) return true
      }
      return false
    }, time / 1000)
    const night = silences[1] as number[]
    t.equal(await inked(((night[0] as number) + (night[1] as number)) / 2), false, 'no line across a night')
    const day = versions[230] as ImportedVersion
    t.equal(await inked(day.receivedAt), true, 'a line through the day')

    // A new version appears without a reload.
    await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true })
    const posted = await fetch(`${server.url}/api/claude/console-usage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': WRITE_KEY },
      body: JSON.stringify(payload(52, 84, 31, Date.now()))
    })
    t.equal(posted.status, 200)
    const stored = (await posted.json() as { version: { id: string, receivedAt: string | number } }).version
    const storedAt = typeof stored.receivedAt === 'number' ? stored.receivedAt : Date.parse(stored.receivedAt)
    await page.waitForFunction(() => document.querySelector('.meter[data-field="session"] .pct')?.textContent === '52', null, { timeout: 2000 })
    t.equal(await pct('weekly'), '84')
    t.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'the page was not reloaded')
    const after = await page.evaluate(() => (window as unknown as { usageVault: { chartData: ChartData } }).usageVault.chartData)
    const lastX = (after[0] as number[]).at(-1)
    t.equal(lastX, storedAt / 1000, 'the new version is the chart\'s last point')
    t.equal(after[1]?.at(-1), 52)
    t.match(await page.textContent('#received'), stored.id)
    // The forecast follows: 64 -> 52 is a reset, and one value of the new window tells no pace.
    await page.waitForFunction((id) => (window as unknown as { usageVault: { forecast: Forecast } }).usageVault.forecast.basedOn?.id === id, stored.id, { timeout: 5000 })
    t.equal(await page.textContent('.meter[data-field="session"] .forecast'), 'Not enough data yet')
    t.equal(await page.evaluate(() => (window as unknown as { usageVault: { projections: Record<string, unknown> } }).usageVault.projections.session), null, 'no session projection')

    // A partial scrape that could not read Sonnet: its card keeps the last real value, said to be carried
    // over. (Its 0 is no reading: extractionErrors declares the section missing.)
    const partial = payload(53, 84, 0, Date.now()) as { weeklyLimits: { sonnetOnly: unknown } }
    partial.weeklyLimits.sonnetOnly = { resetsIn: '', percentageUsed: 0 }
    const partialPost = await fetch(`${server.url}/api/claude/console-usage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': WRITE_KEY },
      body: JSON.stringify({ ...partial, isPartial: true, extractionErrors: { sonnetOnly: 'not found on the page' } })
    })
    t.equal(partialPost.status, 200)
    await page.waitForFunction(() => document.querySelector('.meter[data-field="session"] .pct')?.textContent === '53', null, { timeout: 5000 })
    t.equal(await pct('sonnet'), '31', 'not the placeholder 0')
    t.equal(await text('sonnet', 'carried'), `Not read in the latest scrape: the value of ${clockIn(new Date(storedAt).toISOString(), Date.now())}`)
    t.equal(await page.isVisible('.meter[data-field="sonnet"] .carried'), true)
    t.equal(await page.isVisible('.meter[data-field="weekly"] .carried'), false)
    const afterPartial = await page.evaluate(() => (window as unknown as { usageVault: { chartData: ChartData } }).usageVault.chartData)
    t.equal(afterPartial[3]?.at(-1), undefined, 'no Sonnet point for the partial scrape')
    t.equal(afterPartial[1]?.at(-1), 53)

    await page.screenshot({ path: `${ARTIFACTS}history-page.png`, fullPage: true })

    // The range picker: one day holds only the last day's points.
    await page.click('.ranges button[data-range="1d"]')
    await page.waitForFunction((since) => {
      const xs = (window as unknown as { usageVault: { chartData: ChartData } }).usageVault.chartData[0] as number[]
      return xs.length > 0 && (xs[0] as number) >= since
    }, (Date.now() - 24 * 60 * MINUTE) / 1000 - 60, { timeout: 5000 })
    t.equal(await page.getAttribute('.ranges button[data-range="1d"]', 'aria-pressed'), 'true')
    await page.screenshot({ path: `${ARTIFACTS}history-page-1d.png`, fullPage: true })

    t.same(errors, [], 'no console errors')
  })

  t.test('asks a new visitor for the read key once, and keeps it', async (t) => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', reducedMotion: 'reduce', deviceScaleFactor: 2 })
    t.teardown(() => context.close())
    const page = await context.newPage()
    const errors = collectErrors(page)
    await page.goto(server.url + '/')
    await page.waitForSelector('#key-dialog[open]', { timeout: 10_000 })
    await page.fill('#key-input', 'a-wrong-key')
    await page.click('#key-dialog button[type="submit"]')
    await page.waitForFunction(() => document.querySelector('#key-reason')?.textContent?.includes('refused') === true, null, { timeout: 5000 })
    t.equal(await page.isVisible('#key-dialog'), true, 'a refused key is asked for again')
    await page.fill('#key-input', READ_KEY)
    await page.click('#key-dialog button[type="submit"]')
    await page.waitForSelector('body[data-state="ready"][data-live="on"]', { timeout: 10_000 })
    t.equal(await page.textContent('.meter[data-field="session"] .pct'), '53')
    t.equal(await page.evaluate(() => localStorage.getItem('usage-vault.read-key')), READ_KEY)

    await page.reload()
    await page.waitForSelector('body[data-state="ready"]', { timeout: 10_000 })
    t.equal(await page.isVisible('#key-dialog'), false, 'not asked again after a reload')
    await page.screenshot({ path: `${ARTIFACTS}history-page-phone-dark.png`, fullPage: true })
    // The page's own 401s are logged by Chromium as failed loads; nothing else may be.
    t.same(errors.filter((error) => !/status of 401/.test(error)), [], 'no console errors but the refused keys')
  })
})
