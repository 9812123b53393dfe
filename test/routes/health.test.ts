// /health and /api/health: healthy only with fresh data and no damaged file, degraded otherwise,
// 503 unhealthy only when the store cannot take writes. Never behind a key.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { build, folderOnly, samplePayload, tempDir, WRITE_KEY } from '../helper.js'

const MINUTE = 60_000

for (const url of ['/health', '/api/health']) {
  t.test(`${url} with nothing stored: 200 degraded, latestData none`, async (t) => {
    const app = await build(t)
    const response = await app.inject({ method: 'GET', url })
    t.equal(response.statusCode, 200)
    const body = response.json()
    t.match(body, {
      status: 'degraded',
      storage: { writable: true, versionCount: 0, damaged: 0 },
      latestData: { status: 'none', ageMinutes: null, timestamp: null }
    })
    t.ok(Number.isInteger(body.uptimeSeconds) && body.uptimeSeconds >= 0)
    t.ok(Math.abs(Date.parse(body.timestamp) - Date.now()) < MINUTE)
  })
}

t.test('freshness follows the newest receipt time: fresh (healthy), stale, expired (degraded)', async (t) => {
  let now = Date.now()
  const app = await build(t, { clock: () => now })
  const cases: Array<[number, string, string]> = [
    [1, 'fresh', 'healthy'],
    [9.5, 'fresh', 'healthy'],
    [10.5, 'stale', 'degraded'],
    [29.5, 'stale', 'degraded'],
    [31, 'expired', 'degraded'],
    [60 * 24, 'expired', 'degraded']
  ]
  // Receipts only move forward, so the oldest case is stored first, each a new version.
  for (const [index, [minutes, freshness, status]] of [...cases].reverse().entries()) {
    now = Date.now() - minutes * MINUTE
    const stored = await app.inject({ method: 'POST', url: '/api/claude/console-usage', headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload(index) })
    t.equal(stored.statusCode, 200)
    for (const url of ['/health', '/api/health']) {
      const response = await app.inject({ method: 'GET', url })
      t.equal(response.statusCode, 200, `${minutes} min`)
      t.match(response.json(), {
        status,
        storage: { writable: true, versionCount: index + 1, damaged: 0 },
        latestData: { status: freshness, ageMinutes: Math.floor(minutes), timestamp: new Date(now).toISOString() }
      }, `${url} ${minutes} min`)
    }
  }
})

t.test('STALE_AFTER_MINUTES sets where fresh ends', async (t) => {
  let now = Date.now() - 3 * MINUTE
  const app = await build(t, { clock: () => now, env: { STALE_AFTER_MINUTES: '2' } })
  await app.inject({ method: 'POST', url: '/api/claude/console-usage', headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })
  now = Date.now()
  t.match((await app.inject({ method: 'GET', url: '/health' })).json(), { status: 'degraded', latestData: { status: 'stale', ageMinutes: 3 } })
})

t.test('a damaged file found at start makes the service degraded, with fresh data too', folderOnly, async (t) => {
  const dataDir = await tempDir(t)
  await mkdir(join(dataDir, 'console-usage-history'), { recursive: true })
  await writeFile(join(dataDir, 'console-usage-history', '2026-01-25T16-32-31-ca7d685a.json'), '{"currentSession": {')
  const app = await build(t, { dataDir })
  await app.inject({ method: 'POST', url: '/api/claude/console-usage', headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })
  const response = await app.inject({ method: 'GET', url: '/health' })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { status: 'degraded', storage: { writable: true, versionCount: 1, damaged: 1 }, latestData: { status: 'fresh' } })
})

t.test('a store that cannot write (lock lost) answers 503 unhealthy', folderOnly, async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  await app.inject({ method: 'POST', url: '/api/claude/console-usage', headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })
  await rm(join(dataDir, '.lock'))
  for (const url of ['/health', '/api/health']) {
    const response = await app.inject({ method: 'GET', url })
    t.equal(response.statusCode, 503, url)
    t.match(response.json(), { status: 'unhealthy', storage: { writable: false, versionCount: 1 }, latestData: { status: 'fresh' } }, url)
  }
})

t.test('health needs no key, also when a read key is set; HEAD works for probes', async (t) => {
  const app = await build(t, { env: { CLAUDE_READ_API_KEY: 'read-key-0123456789' } })
  for (const url of ['/health', '/api/health']) {
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url)
    t.equal((await app.inject({ method: 'HEAD', url })).statusCode, 200, `HEAD ${url}`)
  }
})
