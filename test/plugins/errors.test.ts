// The one error handler and the one not-found handler: every 4xx/5xx is the contract's envelope,
// errors of each origin get their status and errorCode, and a 5xx shows nothing of its cause.
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import t, { type Test } from 'tap'
import app from '../../src/app.js'
import { serverOptions } from '../../src/server-options.js'
import { StorageError } from '../../src/storage/index.js'
import { ApiError } from '../../plugins/errors.js'
import { build, tempDir, WRITE_KEY } from '../helper.js'

const ENVELOPE_KEYS = ['errorCode', 'message', 'requestId', 'statusCode', 'success', 'timestamp']

/** The app with a few routes that fail on purpose, and the log lines it wrote. */
async function withFailingRoutes (t: Test): Promise<{ app: FastifyInstance, logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _encoding, done) { logs.push(JSON.parse(String(chunk))); done() } })
  const fastify = Fastify({ ...serverOptions({ LOG_LEVEL: 'info' }), logger: { level: 'info', stream } })
  // Through fastify-plugin, so the routes added here share the app's decorators and handlers.
  await fastify.register(fp(app), { env: { DATA_DIR: await tempDir(t), CLAUDE_SYNC_API_KEY: WRITE_KEY, LOG_LEVEL: 'info' } })
  fastify.get('/api/test/crash', async () => { throw new Error('ENOENT: /srv/secret/path/version.json') })
  fastify.get('/api/test/full', async () => { throw new StorageError('STORAGE_FULL', 'no space left to store the version') })
  fastify.get('/api/test/unavailable', async () => { throw new StorageError('STORAGE_UNAVAILABLE', 'storage failed to store the version') })
  fastify.get('/api/test/gone', async () => {
    throw new ApiError(410, 'VERSION_PRUNED', 'that version was removed by retention', { suggestion: 'read a newer one', details: { oldestAvailableId: 'x' } })
  })
  fastify.get('/api/test/sensible', async () => { throw fastify.httpErrors.conflict('already there') })
  fastify.get('/api/test/sensible-500', async () => { throw fastify.httpErrors.internalServerError('db password is hunter2') })
  fastify.get('/api/test/query', { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', maximum: 10 } } } } }, async () => ({}))
  await fastify.ready()
  t.teardown(() => fastify.close())
  return { app: fastify, logs }
}

t.test('an unknown route is 404 NOT_FOUND in the envelope', async (t) => {
  const app = await build(t)
  for (const [method, url] of [['GET', '/api/nope'], ['POST', '/api/claude/console-usage/nope'], ['DELETE', '/api/claude/console-usage'], ['GET', '/nope']] as const) {
    const response = await app.inject({ method, url })
    t.equal(response.statusCode, 404, url)
    const body = response.json()
    t.same(Object.keys(body).filter((key) => ENVELOPE_KEYS.includes(key)).sort(), ENVELOPE_KEYS, url)
    t.match(body, { success: false, statusCode: 404, errorCode: 'NOT_FOUND', requestId: response.headers['x-request-id'] }, url)
    t.ok(Math.abs(Date.parse(body.timestamp) - Date.now()) < 60_000)
  }
})

t.test('a 500 hides its cause from the client and logs it', async (t) => {
  const { app, logs } = await withFailingRoutes(t)
  for (const url of ['/api/test/crash', '/api/test/sensible-500']) {
    const response = await app.inject({ method: 'GET', url })
    t.equal(response.statusCode, 500, url)
    t.match(response.json(), { success: false, statusCode: 500, errorCode: 'INTERNAL_ERROR', message: 'internal error', requestId: String }, url)
    t.notMatch(response.body, /secret|ENOENT|hunter2|stack/, url)
    t.ok(logs.some((line) => line.reqId === response.headers['x-request-id'] && line.level === 50), 'the cause is in the log')
  }
})

t.test('storage faults answer 507 STORAGE_FULL and 503 STORAGE_UNAVAILABLE', async (t) => {
  const { app } = await withFailingRoutes(t)
  const full = await app.inject({ method: 'GET', url: '/api/test/full' })
  t.equal(full.statusCode, 507)
  t.match(full.json(), { success: false, statusCode: 507, errorCode: 'STORAGE_FULL', suggestion: String })
  const unavailable = await app.inject({ method: 'GET', url: '/api/test/unavailable' })
  t.equal(unavailable.statusCode, 503)
  t.match(unavailable.json(), { success: false, statusCode: 503, errorCode: 'STORAGE_UNAVAILABLE' })
  t.ok(Number(unavailable.headers['retry-after']) > 0, 'Retry-After tells the scraper when to come back')
})

t.test('ApiError and sensible httpErrors keep their status, code, message and extra fields', async (t) => {
  const { app } = await withFailingRoutes(t)
  const gone = await app.inject({ method: 'GET', url: '/api/test/gone' })
  t.equal(gone.statusCode, 410)
  t.match(gone.json(), { success: false, statusCode: 410, errorCode: 'VERSION_PRUNED', message: 'that version was removed by retention', suggestion: 'read a newer one', oldestAvailableId: 'x' })
  const conflict = await app.inject({ method: 'GET', url: '/api/test/sensible' })
  t.equal(conflict.statusCode, 409)
  t.match(conflict.json(), { success: false, statusCode: 409, errorCode: 'CONFLICT', message: 'already there' })
})

t.test('a querystring validation error is 400 VALIDATION_ERROR naming the parameter', async (t) => {
  const { app } = await withFailingRoutes(t)
  const response = await app.inject({ method: 'GET', url: '/api/test/query?limit=11' })
  t.equal(response.statusCode, 400)
  t.match(response.json(), { errorCode: 'VALIDATION_ERROR', message: /^querystring\.limit must be .*10/ })
})

t.test('a URL that cannot be decoded is 400 in the envelope, with X-Request-Id', async (t) => {
  const app = await build(t)
  for (const url of ['/api/%zz', '/api/claude/console-usage/versions/%E0%A4%A']) {
    const response = await app.inject({ method: 'GET', url })
    t.equal(response.statusCode, 400, url)
    t.match(response.json(), { success: false, statusCode: 400, errorCode: 'BAD_REQUEST', requestId: response.headers['x-request-id'] }, url)
  }
})

t.test('a request that arrives while the service closes is 503 SHUTTING_DOWN with Retry-After', async (t) => {
  const fastify = Fastify(serverOptions({ LOG_LEVEL: 'silent' }))
  await fastify.register(fp(app), { env: { DATA_DIR: await tempDir(t), CLAUDE_SYNC_API_KEY: WRITE_KEY, LOG_LEVEL: 'silent' } })
  let during: Response | null = null
  // The server still accepts connections while preClose hooks run, as on a kept-alive connection.
  fastify.addHook('preClose', async () => { during = await fetch(`${address}/api/claude/console-usage`) })
  const address = await fastify.listen({ port: 0, host: '127.0.0.1' })
  await fastify.close()
  const response = during as unknown as Response
  t.equal(response.status, 503)
  t.match(await response.json(), { success: false, statusCode: 503, errorCode: 'SHUTTING_DOWN', requestId: response.headers.get('x-request-id') })
  t.equal(response.headers.get('retry-after'), '5')
})
