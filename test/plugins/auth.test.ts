// API keys: the write key (configured, or made once and kept in DATA_DIR/.api-key), the optional
// read key for GET /api/..., 401 AUTH_MISSING / AUTH_INVALID, and 429 after 10 refused keys a minute.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import t, { type Test } from 'tap'
import app from '../../src/app.js'
import { serverOptions } from '../../src/server-options.js'
import { createFailedAttempts } from '../../src/failed-attempts.js'
import { build, samplePayload, tempDir, WRITE_KEY } from '../helper.js'

const URL = '/api/claude/console-usage'

/** The app on `dataDir` with the given variables, a route guarded by requireWriteKey, and its log text. */
async function buildLogged (t: Test, dataDir: string, env: Record<string, string> = {}): Promise<{ app: FastifyInstance, log: () => string }> {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const fastify = Fastify({ ...serverOptions({ LOG_LEVEL: 'info' }), logger: { level: 'info', stream } })
  // Through fastify-plugin, so the routes added here share the app's decorators and handlers.
  await fastify.register(fp(app), { env: { DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env } })
  fastify.post('/api/test/guarded', { onRequest: fastify.requireWriteKey }, async () => ({ ok: true }))
  await fastify.ready()
  t.teardown(() => fastify.close())
  return { app: fastify, log: () => lines.join('') }
}

t.test('without CLAUDE_SYNC_API_KEY a key is made once, kept 0600 in DATA_DIR/.api-key, and never logged', async (t) => {
  const dataDir = await tempDir(t)
  const keyFile = join(dataDir, '.api-key')
  const first = await buildLogged(t, dataDir)
  const key = (await readFile(keyFile, 'utf8')).trim()
  t.ok(key.length >= 32, 'a long random key')
  t.equal((await stat(keyFile)).mode & 0o777, 0o600)
  t.match(first.log(), keyFile, 'the log names the file')
  t.notMatch(first.log(), key, 'the log never shows the key')
  const stored = await first.app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': key }, payload: samplePayload() })
  t.equal(stored.statusCode, 200)
  t.notMatch(first.log(), key, 'nor does a request that sends it')
  await first.app.close()

  const second = await buildLogged(t, dataDir)
  t.equal((await readFile(keyFile, 'utf8')).trim(), key, 'the same key after a restart')
  t.equal((await second.app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': key }, payload: samplePayload(3) })).statusCode, 200)
  t.notMatch(second.log(), key)
})

t.test('a configured CLAUDE_SYNC_API_KEY is the write key, and no key file is made', async (t) => {
  const dataDir = await tempDir(t)
  const { app } = await buildLogged(t, dataDir, { CLAUDE_SYNC_API_KEY: 'configured-key-0123456789' })
  t.equal((await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': 'configured-key-0123456789' }, payload: samplePayload() })).statusCode, 200)
  await t.rejects(stat(join(dataDir, '.api-key')), { code: 'ENOENT' })
})

t.test('requireWriteKey guards routes of other plugins: 401 AUTH_MISSING, AUTH_INVALID, or through', async (t) => {
  const { app } = await buildLogged(t, await tempDir(t), { CLAUDE_SYNC_API_KEY: WRITE_KEY, CLAUDE_READ_API_KEY: 'read-key-0123456789' })
  const missing = await app.inject({ method: 'POST', url: '/api/test/guarded' })
  t.equal(missing.statusCode, 401)
  t.match(missing.json(), { success: false, statusCode: 401, errorCode: 'AUTH_MISSING', message: /X-API-Key/ })
  for (const key of [`${WRITE_KEY}0`, WRITE_KEY.slice(0, -1), 'x'.repeat(5000), 'read-key-0123456789', 'ключ']) {
    const wrong = await app.inject({ method: 'POST', url: '/api/test/guarded', headers: { 'x-api-key': key } })
    t.equal(wrong.statusCode, 401, `${key.slice(0, 20)}...`)
    t.match(wrong.json(), { errorCode: 'AUTH_INVALID' })
  }
  const through = await app.inject({ method: 'POST', url: '/api/test/guarded', remoteAddress: '10.1.1.1', headers: { 'x-api-key': WRITE_KEY } })
  t.equal(through.statusCode, 200)
})

t.test('without CLAUDE_READ_API_KEY reads are public', async (t) => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })
  t.equal((await app.inject({ method: 'GET', url: URL })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: URL, headers: { 'x-api-key': 'anything' } })).statusCode, 200, 'a key is not even looked at')
})

t.test('with CLAUDE_READ_API_KEY every GET /api/... but /api/health needs the read or the write key', async (t) => {
  const app = await build(t, { env: { CLAUDE_READ_API_KEY: 'read-key-0123456789' } })
  await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })
  const missing = await app.inject({ method: 'GET', url: URL })
  t.equal(missing.statusCode, 401)
  t.match(missing.json(), { success: false, statusCode: 401, errorCode: 'AUTH_MISSING' })
  t.equal((await app.inject({ method: 'GET', url: `${URL}?version=1` })).statusCode, 401)
  t.equal((await app.inject({ method: 'HEAD', url: URL })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/api/claude/console-usage/anything-else' })).statusCode, 401, 'also routes of other plugins')
  t.match((await app.inject({ method: 'GET', url: URL, headers: { 'x-api-key': 'read-kez-0123456789' } })).json(), { statusCode: 401, errorCode: 'AUTH_INVALID' })
  t.equal((await app.inject({ method: 'GET', url: URL, headers: { 'x-api-key': 'read-key-0123456789' } })).statusCode, 200, 'the read key reads')
  t.equal((await app.inject({ method: 'GET', url: URL, headers: { 'x-api-key': WRITE_KEY } })).statusCode, 200, 'the write key reads too')
  t.equal((await app.inject({ method: 'GET', url: '/api/health' })).statusCode, 200, 'health needs no key')
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  const readKeyWrites = await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': 'read-key-0123456789' }, payload: samplePayload(2) })
  t.equal(readKeyWrites.statusCode, 401, 'the read key does not write')
  t.match(readKeyWrites.json(), { errorCode: 'AUTH_INVALID' })
})

t.test('after 10 wrong keys within a minute an address gets 429 for wrong keys on reads and writes; valid keys and other addresses pass', async (t) => {
  const app = await build(t, { env: { CLAUDE_READ_API_KEY: 'read-key-0123456789' } })
  const remoteAddress = '192.0.2.9'
  for (let i = 0; i < 5; i++) t.equal((await app.inject({ method: 'GET', url: URL, remoteAddress, headers: { 'x-api-key': `r${i}` } })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: URL, remoteAddress })).statusCode, 401, 'a missing key is refused but not counted')
  for (let i = 0; i < 5; i++) t.equal((await app.inject({ method: 'POST', url: URL, remoteAddress, headers: { 'x-api-key': `w${i}` }, payload: samplePayload() })).statusCode, 401)
  for (const request of [
    { method: 'GET' as const, url: URL, remoteAddress, headers: { 'x-api-key': 'another-wrong-key' } },
    { method: 'POST' as const, url: URL, remoteAddress, headers: { 'x-api-key': 'another-wrong-key' }, payload: samplePayload() }
  ]) {
    const limited = await app.inject(request)
    t.equal(limited.statusCode, 429, request.method)
    t.match(limited.json(), { success: false, statusCode: 429, errorCode: 'TOO_MANY_ATTEMPTS', requestId: String })
    t.ok(Number(limited.headers['retry-after']) >= 1 && Number(limited.headers['retry-after']) <= 60)
  }
  t.equal((await app.inject({ method: 'GET', url: URL, remoteAddress, headers: { 'x-api-key': 'read-key-0123456789' } })).statusCode, 404, 'the read key still reads')
  t.equal((await app.inject({ method: 'POST', url: URL, remoteAddress, headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })).statusCode, 200, 'the write key still writes')
  t.equal((await app.inject({ method: 'GET', url: '/api/health', remoteAddress })).statusCode, 200, 'health is never limited')
  t.equal((await app.inject({ method: 'GET', url: URL, remoteAddress: '192.0.2.10', headers: { 'x-api-key': 'wrong-again' } })).statusCode, 401, 'another address is not limited')
})

t.test('the failure window: blocked after the 10th failure until the minute that began with the first is over', async (t) => {
  const attempts = createFailedAttempts({ max: 10, windowMs: 60_000 })
  const start = 1_000_000
  for (let i = 0; i < 9; i++) attempts.record('a', start + i * 1000)
  t.equal(attempts.blockedFor('a', start + 9000), 0, '9 failures: not blocked')
  attempts.record('a', start + 10_000)
  t.equal(attempts.blockedFor('a', start + 10_000), 50_000, '10 failures: blocked until the minute is over')
  t.equal(attempts.blockedFor('a', start + 59_999), 1)
  t.equal(attempts.blockedFor('a', start + 60_000), 0, 'free again when the minute is over')
  t.equal(attempts.blockedFor('b', start + 10_000), 0, 'other addresses are free')

  // Failures spread over more than a minute never add up to a block.
  const slow = createFailedAttempts({ max: 10, windowMs: 60_000 })
  for (let i = 0; i < 30; i++) {
    slow.record('c', start + i * 7000)
    t.equal(slow.blockedFor('c', start + i * 7000), 0)
  }
})
