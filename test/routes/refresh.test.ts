// POST /trigger and GET /refresh-requests (contract section 5, the widget's refresh button), in
// process: the answers with and without an agent, joined triggers, the request as the widget sends
// it, and a close with an agent and a trigger waiting. test/cli/agent.test.ts runs the real agent.
import t, { type Test } from 'tap'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { build, samplePayload, WRITE_KEY } from '../helper.js'
import { connect, type SseConnection } from './sse-client.js'

const BASE = '/api/claude/console-usage'

async function listening (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${BASE}`
}

/** The trigger as the widget sends it: write key, JSON content type, no body. */
async function trigger (base: string, query = '', contentType: string | null = 'application/json'): Promise<{ status: number, body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'x-api-key': WRITE_KEY }
  if (contentType !== null) headers['content-type'] = contentType
  const response = await fetch(`${base}/trigger${query}`, { method: 'POST', headers })
  return { status: response.status, body: await response.json() as Record<string, unknown> }
}

async function agent (t: Test, base: string): Promise<SseConnection> {
  const stream = await connect(`${base}/refresh-requests`, { 'x-api-key': WRITE_KEY })
  t.teardown(stream.close)
  t.equal(stream.status, 200, 'the agent stream opens')
  t.equal((await stream.next({ comments: true })).comment, 'connected')
  return stream
}

t.test('without an agent the trigger is 503 NO_SCRAPER_CONNECTED, naming usage-vault agent; both routes need the write key', async (t) => {
  const app = await build(t)
  const base = await listening(app)
  for (const contentType of ['application/json', null]) {
    const { status, body } = await trigger(base, '', contentType)
    t.equal(status, 503, `content type ${String(contentType)}`)
    t.match(body, { success: false, errorCode: 'NO_SCRAPER_CONNECTED', suggestion: /usage-vault agent/ })
  }
  t.equal((await fetch(`${base}/trigger`, { method: 'POST' })).status, 401, 'trigger without a key')
  t.equal((await fetch(`${base}/trigger`, { method: 'POST', headers: { 'x-api-key': 'wrong-key-0123456789' } })).status, 401, 'trigger with a wrong key')
  t.equal((await fetch(`${base}/refresh-requests`)).status, 401, 'the stream without a key')
  for (const wait of ['61', '-1', '1.5', '1e1', '+5']) {
    const { status, body } = await trigger(base, `?wait=${wait}`)
    t.equal(status, 400, `wait=${wait}`)
    t.match(body, { errorCode: 'VALIDATION_ERROR', message: /^querystring\.wait must be an integer in 0\.\.60/ })
  }
  const notJson = await fetch(`${base}/trigger`, { method: 'POST', headers: { 'x-api-key': WRITE_KEY, 'content-type': 'application/json' }, body: '{"a":' })
  t.equal(notJson.status, 400, 'a body that is not JSON is still refused')
})

t.test('triggers at once send one refresh event and are all answered by the next stored version', async (t) => {
  const app = await build(t)
  const base = await listening(app)
  const stream = await agent(t, base)

  const answers = Promise.all([trigger(base, '?wait=60'), trigger(base, '?wait=60', null), trigger(base, '?wait=60')])
  const refresh = await stream.next()
  t.equal(refresh.event, 'refresh')
  const request = JSON.parse(refresh.data) as { id: string, requestedAt: string }
  t.match(request, { id: /^[0-9a-f-]{36}$/, requestedAt: String })
  t.ok(Date.parse(request.requestedAt) > 0)

  // Stored by another way than POST, as another instance of a shared store would report it.
  const { version } = await app.store.save(samplePayload(63))
  const answered = await answers
  for (const { status, body } of answered) {
    t.equal(status, 200)
    t.match(body, { success: true, message: String, timestamp: String, version: { id: version.id, receivedAt: new Date(version.receivedAt).toISOString() } })
  }

  // The next event is the next trigger's: the three above made one.
  const later = trigger(base, '?wait=60')
  const second = await stream.next()
  t.not(JSON.parse(second.data).id, request.id, 'one event for the three triggers; the next trigger asks anew')
  await app.store.save(samplePayload(64))
  t.equal((await later).status, 200)
})

t.test('agents asked but no version in time: 202 with the number of agents', async (t) => {
  const app = await build(t)
  const base = await listening(app)
  const first = await agent(t, base)
  const second = await agent(t, base)
  const { status, body } = await trigger(base, '?wait=0')
  t.equal(status, 202)
  t.match(body, { success: true, agents: 2, message: /2 agent/ })
  t.equal((await first.next()).event, 'refresh', 'the first agent was asked')
  t.equal((await second.next()).event, 'refresh', 'and the second')
  second.close()
  // A new request after one nobody waits on any more.
  const again = await trigger(base, '?wait=0')
  t.equal(again.status, 202)
})

t.test('closing the service answers a waiting trigger 503 and ends the agent streams', async (t) => {
  const app = await build(t)
  const base = await listening(app)
  const stream = await agent(t, base)
  const waiting = trigger(base, '?wait=60')
  t.equal((await stream.next()).event, 'refresh')
  await app.close()
  const { status, body } = await waiting
  t.equal(status, 503)
  t.match(body, { errorCode: 'SHUTTING_DOWN' })
  t.ok(await stream.ended(), 'the agent stream was ended')
})
