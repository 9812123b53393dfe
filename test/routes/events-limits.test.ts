// The limits of /events (contract section 6): at most EVENTS_MAX_STREAMS open streams and 10 per
// client address; past that 503 TOO_MANY_STREAMS with Retry-After, and a closed stream frees its place.
import t from 'tap'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { build } from '../helper.js'
import { connect, type SseConnection } from './sse-client.js'

async function listening (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/claude/console-usage/events`
}

async function open (t: Parameters<typeof build>[0], url: string, count: number): Promise<SseConnection[]> {
  const streams: SseConnection[] = []
  for (let i = 0; i < count; i++) {
    const stream = await connect(url)
    t.teardown(stream.close)
    t.equal(stream.status, 200, `stream ${i + 1} opens`)
    await stream.next({ comments: true })
    streams.push(stream)
  }
  return streams
}

async function refused (t: Parameters<typeof build>[0], url: string, why: string): Promise<void> {
  const answer = await fetch(url)
  t.equal(answer.status, 503, why)
  t.ok(Number(answer.headers.get('retry-after')) > 0, 'with Retry-After')
  t.match(await answer.json(), { success: false, statusCode: 503, errorCode: 'TOO_MANY_STREAMS', requestId: String })
}

t.test('past EVENTS_MAX_STREAMS open streams: 503 TOO_MANY_STREAMS; a closed stream frees its place', async (t) => {
  const app = await build(t, { env: { EVENTS_MAX_STREAMS: '3' } })
  const url = await listening(app)
  const streams = await open(t, url, 3)
  await refused(t, url, 'the fourth stream is refused')
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'health still answers')
  streams[0]?.close()
  // The server learns of the close when the socket ends; a new stream is accepted once it has.
  let status = 0
  for (let tries = 0; tries < 50 && status !== 200; tries++) {
    const again = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => null)
    status = again?.status ?? 0
    if (status !== 200) await again?.body?.cancel()
    else t.teardown(() => again?.body?.cancel())
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.equal(status, 200, 'after one closes, a new stream opens')
})

t.test('at most 10 streams per client address', async (t) => {
  const app = await build(t)
  const url = await listening(app)
  await open(t, url, 10)
  await refused(t, url, 'the eleventh from the same address is refused')
})

t.test('EVENTS_MAX_STREAMS must be a positive integer', async (t) => {
  await t.rejects(build(t, { env: { EVENTS_MAX_STREAMS: '0' } }), { message: /EVENTS_MAX_STREAMS/ })
})
