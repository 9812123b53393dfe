// CORS for the origins of CORS_ORIGINS only, and the security headers of a JSON API (no
// HTTPS-only headers on plain HTTP).
import t from 'tap'
import { build, samplePayload, WRITE_KEY } from '../helper.js'

const URL = '/api/claude/console-usage'

t.test('an origin of CORS_ORIGINS may read, send the key, and see the caching headers', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: 'https://widget.example, http://localhost:3000' } })
  await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })
  for (const origin of ['https://widget.example', 'http://localhost:3000']) {
    const read = await app.inject({ method: 'GET', url: URL, headers: { origin } })
    t.equal(read.statusCode, 200)
    t.equal(read.headers['access-control-allow-origin'], origin)
    t.match(String(read.headers['access-control-expose-headers']), /ETag/)
    t.match(String(read.headers['access-control-expose-headers']), /X-Request-Id/)
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: URL,
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' }
    })
    t.equal(preflight.statusCode, 204)
    t.equal(preflight.headers['access-control-allow-origin'], origin)
    t.match(String(preflight.headers['access-control-allow-headers']), /X-API-Key/i)
  }
  t.equal(String((await app.inject({ method: 'GET', url: URL })).headers['cross-origin-resource-policy']), 'cross-origin')
})

t.test('other origins, or any origin without CORS_ORIGINS, get no CORS headers', async (t) => {
  const listed = await build(t, { env: { CORS_ORIGINS: 'https://widget.example' } })
  const other = await listed.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } })
  t.equal(other.headers['access-control-allow-origin'], undefined)
  const none = await build(t)
  const response = await none.inject({ method: 'GET', url: '/health', headers: { origin: 'https://widget.example' } })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['access-control-allow-origin'], undefined)
})

t.test('JSON answers carry the short set of headers an API needs', async (t) => {
  const app = await build(t)
  for (const url of ['/health', URL, '/api/nope']) {
    const { headers } = await app.inject({ method: 'GET', url })
    t.equal(headers['x-content-type-options'], 'nosniff', url)
    t.equal(headers['x-frame-options'], 'DENY', url)
    t.equal(headers['referrer-policy'], 'no-referrer', url)
    t.equal(headers['cross-origin-resource-policy'], 'same-origin', url)
    t.equal(headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'", url)
    t.equal(headers['x-dns-prefetch-control'], undefined, `${url}: no headers meant for rendered documents`)
    t.equal(headers['strict-transport-security'], undefined, 'no HSTS without TLS')
  }
})

t.test('pages get same-origin security headers served over plain HTTP', async (t) => {
  const app = await build(t)
  for (const url of ['/docs/json', '/nope']) {
    const { headers } = await app.inject({ method: 'GET', url })
    t.equal(headers['x-content-type-options'], 'nosniff', url)
    t.equal(headers['x-frame-options'], 'SAMEORIGIN', url)
    t.equal(headers['referrer-policy'], 'no-referrer', url)
    t.equal(headers['cross-origin-resource-policy'], 'same-origin', url)
    t.match(String(headers['content-security-policy']), /default-src 'self'/, url)
    t.notMatch(String(headers['content-security-policy']), /upgrade-insecure-requests/, 'no HTTPS upgrade without TLS')
    t.equal(headers['strict-transport-security'], undefined, 'no HSTS without TLS')
    t.equal(headers['x-powered-by'], undefined, url)
  }
})
