// The failed-key limit as an attacker meets it (contract section 5, the 429 rule; section 2,
// TRUST_PROXY): requests without a key do not count, a valid key is never refused, wrong keys count
// per client address (IPv6 by /64), X-Forwarded-For is believed only from the configured proxies,
// and the table of addresses stays bounded however many addresses try.
import t from 'tap'
import { createFailedAttempts, clientKey } from '../../src/failed-attempts.js'
import { build, samplePayload, WRITE_KEY } from '../helper.js'

const URL = '/api/claude/console-usage'
const post = (app: Awaited<ReturnType<typeof build>>, remoteAddress: string, key: string | null, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: URL, remoteAddress, headers: { ...(key === null ? {} : { 'x-api-key': key }), ...headers }, payload: samplePayload(Math.floor(Math.random() * 100)) })

t.test('ten POSTs without a key do not lock the scraper out', async (t) => {
  const app = await build(t)
  for (let i = 0; i < 12; i++) t.equal((await post(app, '198.51.100.7', null)).statusCode, 401)
  const scraper = await post(app, '198.51.100.7', WRITE_KEY)
  t.equal(scraper.statusCode, 200, 'the right key from the same address is stored')
})

t.test('wrong keys block wrong keys from that address, never the valid key', async (t) => {
  const app = await build(t)
  for (let i = 0; i < 10; i++) t.equal((await post(app, '198.51.100.8', `wrong-key-000000-${i}`)).statusCode, 401)
  t.equal((await post(app, '198.51.100.8', 'wrong-key-000000-x')).statusCode, 429, 'the 11th wrong key: 429')
  t.equal((await post(app, '198.51.100.8', WRITE_KEY)).statusCode, 200, 'the valid key from the blocked address is stored')
  t.equal((await post(app, '198.51.100.8', null)).statusCode, 401, 'no key: still 401, not 429')
})

t.test('IPv6 clients count by /64', async (t) => {
  const app = await build(t)
  for (let i = 0; i < 10; i++) t.equal((await post(app, `2001:db8:1:2::${(i + 1).toString(16)}`, `wrong-key-000000-${i}`)).statusCode, 401)
  t.equal((await post(app, '2001:db8:1:2:ffff:1:2:3', 'wrong-key-000000-x')).statusCode, 429, 'another address of the same /64 is blocked')
  t.equal((await post(app, '2001:db8:1:3::1', 'wrong-key-000000-x')).statusCode, 401, 'the next /64 is not')
})

t.test('behind a trusted proxy each client counts apart; X-Forwarded-For from anyone else is ignored', async (t) => {
  const proxied = await build(t, { env: { TRUST_PROXY: '10.0.0.1, 10.9.0.0/16' } })
  for (let i = 0; i < 10; i++) t.equal((await post(proxied, '10.0.0.1', `wrong-key-000000-${i}`, { 'x-forwarded-for': '203.0.113.5' })).statusCode, 401)
  t.equal((await post(proxied, '10.0.0.1', 'wrong-key-000000-x', { 'x-forwarded-for': '203.0.113.5' })).statusCode, 429, 'the attacker behind the proxy is blocked')
  t.equal((await post(proxied, '10.0.0.1', 'wrong-key-000000-y', { 'x-forwarded-for': '203.0.113.6' })).statusCode, 401, 'another client behind the same proxy is not')
  t.equal((await post(proxied, '10.9.3.4', 'wrong-key-000000-y', { 'x-forwarded-for': '203.0.113.7' })).statusCode, 401, 'nor one behind a proxy of the range')
  for (let i = 0; i < 10; i++) await post(proxied, '10.9.3.4', `wrong-key-000000-${i}`, { 'x-forwarded-for': '203.0.113.5' })
  t.equal((await post(proxied, '10.9.3.4', WRITE_KEY, { 'x-forwarded-for': '203.0.113.5' })).statusCode, 200, 'the valid key is stored even from the blocked client')

  const direct = await build(t)
  for (let i = 0; i < 10; i++) t.equal((await post(direct, '198.51.100.9', `wrong-key-000000-${i}`, { 'x-forwarded-for': `203.0.113.${i}` })).statusCode, 401)
  t.equal((await post(direct, '198.51.100.9', 'wrong-key-000000-x', { 'x-forwarded-for': '203.0.113.99' })).statusCode, 429, 'without TRUST_PROXY a forged X-Forwarded-For changes nothing')
})

t.test('the table stays bounded under 60,000 addresses, and a current attacker stays blocked', async (t) => {
  const attempts = createFailedAttempts({ max: 10, windowMs: 60_000, capacity: 4096 })
  const now = 1_000_000
  for (let i = 0; i < 10; i++) attempts.record('attacker', now)
  for (let i = 0; i < 60_000; i++) {
    attempts.record(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, now + 1)
    if (i % 1000 === 0) attempts.record('attacker', now + 1)
  }
  t.ok(attempts.size <= 4096, `${attempts.size} addresses kept, at most 4096`)
  t.ok(attempts.blockedFor('attacker', now + 2) > 0, 'the address that keeps failing is still blocked')
})

t.test('client keys: IPv4 as is, IPv6 by its /64, IPv4-mapped IPv6 as IPv4', async (t) => {
  t.equal(clientKey('192.0.2.1'), '192.0.2.1')
  t.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'))
  t.not(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'))
  t.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1')
})
