// Every response has X-Request-Id, the same id as the error envelope's requestId; a plain id the
// client sends is kept, anything else replaced.
import t from 'tap'
import { build, samplePayload, WRITE_KEY } from '../helper.js'

const URL = '/api/claude/console-usage'

t.test('every answer carries X-Request-Id, also refusals and errors', async (t) => {
  const app = await build(t)
  const requests = [
    { method: 'GET' as const, url: '/health' },
    { method: 'GET' as const, url: URL },
    { method: 'GET' as const, url: '/api/nope' },
    { method: 'POST' as const, url: URL, payload: samplePayload() },
    { method: 'POST' as const, url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: { lastUpdated: 'x' } },
    { method: 'POST' as const, url: URL, headers: { 'x-api-key': WRITE_KEY, 'content-type': 'text/plain' }, payload: 'hi' },
    { method: 'POST' as const, url: URL, headers: { 'x-api-key': WRITE_KEY, 'content-type': 'application/json' }, payload: '{' },
    { method: 'POST' as const, url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: { ...samplePayload(), extractionErrors: { x: 'y'.repeat(70_000) } } },
    { method: 'POST' as const, url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() },
    { method: 'OPTIONS' as const, url: URL }
  ]
  const seen = new Set<string>()
  for (const request of requests) {
    const response = await app.inject(request)
    const id = response.headers['x-request-id']
    t.type(id, 'string', `${request.method} ${request.url} ${response.statusCode}`)
    seen.add(id as string)
    if (response.statusCode >= 400) t.equal(response.json().requestId, id, `envelope of ${response.statusCode}`)
  }
  t.equal(seen.size, requests.length, 'each request its own id')
})

t.test('a plain id sent by the client is kept; anything else is replaced', async (t) => {
  const app = await build(t)
  const kept = await app.inject({ method: 'GET', url: URL, headers: { 'x-request-id': 'scraper-2026-01-25T16:32:31.abc' } })
  t.equal(kept.headers['x-request-id'], 'scraper-2026-01-25T16:32:31.abc')
  t.equal(kept.json().requestId, 'scraper-2026-01-25T16:32:31.abc')
  for (const offered of ['has spaces in it', 'x'.repeat(200), '<script>']) {
    const replaced = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': offered } })
    t.not(replaced.headers['x-request-id'], offered)
    t.match(replaced.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  }
})
