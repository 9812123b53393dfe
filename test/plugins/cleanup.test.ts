// plugins/cleanup.ts: retention runs after a stored write, from onResponse (never before the answer
// is sent), one run at a time, and the app's close waits for the run in flight.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { build, samplePayload, storedIds, storedStatistics, tempDir, WRITE_KEY } from '../helper.js'

const post = async (app: FastifyInstance, payload: object): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'POST', url: '/api/claude/console-usage', headers: { 'x-api-key': WRITE_KEY }, payload })

/** Holds each clean-up until the test lets it go, counting the calls. */
function gateCleanup (app: FastifyInstance): { calls: () => number, release: () => void } {
  const real = app.store.cleanup
  let calls = 0
  let open!: () => void
  const gate = new Promise<void>((resolve) => { open = resolve })
  app.store.cleanup = async () => {
    calls++
    await gate
    return await real()
  }
  return { calls: () => calls, release: open }
}

t.test('a stored write is answered first, then cleaned up; close waits for the clean-up', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir, env: { RETENTION_MAX_VERSIONS: '2', RETENTION_DAYS: '0' } })
  for (let n = 0; n < 3; n++) await app.store.save(samplePayload(n))
  const gate = gateCleanup(app)

  // The clean-up is held: if the answer waited for it, this would never resolve.
  const response = await post(app, samplePayload(50))
  t.equal(response.statusCode, 200)
  t.equal(gate.calls(), 1, 'retention was started after the answer')
  t.equal((await storedIds(t, dataDir)).length, 4, 'and has not removed anything yet')

  let closed = false
  const closing = app.close().then(() => { closed = true })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(closed, false, 'close waits for the clean-up in flight')
  gate.release()
  await closing
  t.equal((await storedIds(t, dataDir)).length, 2, 'which ran to its end')
  t.match(await storedStatistics(t, dataDir), { versionCount: 2, totalVersionsCreated: 4, totalVersionsDeleted: 2 })
})

t.test('only a stored write starts a clean-up', async (t) => {
  const app = await build(t)
  const gate = gateCleanup(app)
  gate.release()
  const payload = samplePayload(1)
  t.equal((await post(app, payload)).statusCode, 200)
  t.equal(gate.calls(), 1)
  const duplicate = await post(app, payload)
  t.equal(duplicate.json<{ duplicate: boolean }>().duplicate, true)
  t.equal((await post(app, { lastUpdated: 'not a date' })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/api/claude/console-usage', payload: samplePayload(2) })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/api/claude/console-usage' })).statusCode, 200)
  t.equal(gate.calls(), 1, 'not for a duplicate, a refused write or a read')
})

t.test('many writes at once: retention ends exact, whatever the interleaving', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir, env: { RETENTION_MAX_VERSIONS: '3', RETENTION_DAYS: '0' } })
  const responses = await Promise.all(Array.from({ length: 40 }, (_, n) => post(app, samplePayload(n))))
  t.ok(responses.every((response) => response.statusCode === 200))
  await app.close()
  const newest = responses.map((response) => response.json<{ version: { id: string } }>().version.id).sort().slice(-3)
  t.same(await storedIds(t, dataDir), newest, 'the newest three are kept')
  t.match(await storedStatistics(t, dataDir), { versionCount: 3, totalVersionsCreated: 40, totalVersionsDeleted: 37 })
})

t.test('a failing clean-up is logged, not answered, and does not stop the close', async (t) => {
  const app = await build(t)
  app.store.cleanup = async () => { throw new Error('disk on fire') }
  t.equal((await post(app, samplePayload(1))).statusCode, 200)
  t.equal((await post(app, samplePayload(2))).statusCode, 200)
  await app.close()
  t.pass('closed')
})
