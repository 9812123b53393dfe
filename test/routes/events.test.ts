import t from 'tap'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { build, samplePayload, WRITE_KEY } from '../helper.js'
import { connect, type ReceivedEvent } from './sse-client.js'

async function listening (app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/claude/console-usage/events`
}

let percentage = 0
const save = async (app: FastifyInstance): Promise<string> => (await app.store.save(samplePayload(++percentage % 100))).version.id

const saveMany = async (app: FastifyInstance, count: number): Promise<string[]> => {
  const ids: string[] = []
  for (let i = 0; i < count; i++) ids.push(await save(app))
  return ids
}

async function versionEvents (next: () => Promise<ReceivedEvent>, count: number): Promise<string[]> {
  const ids: string[] = []
  while (ids.length < count) {
    const event = await next()
    if (event.event !== 'version') throw new Error(`unexpected event ${event.event}`)
    ids.push(event.id as string)
  }
  return ids
}

t.test('each stored version arrives as a version event', async (t) => {
  const app = await build(t)
  const stream = await connect(await listening(app))
  t.teardown(stream.close)
  t.equal(stream.status, 200)
  t.match(stream.headers.get('content-type'), /^text\/event-stream/)
  t.equal(stream.headers.get('cache-control'), 'no-cache')
  t.ok(stream.headers.get('x-request-id'), 'the request id header is there on a stream too')
  t.equal((await stream.next({ comments: true })).comment, 'connected')

  const payload = samplePayload(61, '2026-03-01T10:00:00.000Z')
  const { version } = await app.store.save(payload)
  const event = await stream.next()
  t.equal(event.event, 'version')
  t.equal(event.id, version.id, 'id: is the version id')
  t.same(JSON.parse(event.data), { id: version.id, receivedAt: new Date(version.receivedAt).toISOString(), payload })

  const more = await saveMany(app, 5)
  t.same(await versionEvents(stream.next, 5), more, 'in the order stored')
})

t.test('a client that reconnects with Last-Event-ID misses nothing and sees nothing twice', async (t) => {
  const app = await build(t)
  const url = await listening(app)
  const first = await connect(url)
  const before = await saveMany(app, 3)
  const seen = await versionEvents(first.next, 3)
  first.close()

  const missed = await saveMany(app, 20)
  const second = await connect(url, { 'last-event-id': seen[seen.length - 1] as string })
  t.teardown(second.close)
  // Writes go on while the missed ones are replayed.
  const during = saveMany(app, 10)
  seen.push(...await versionEvents(second.next, 30))
  const all = [...before, ...missed, ...await during]
  t.same(seen, all, 'every version once, in order')

  const later = await save(app)
  t.same(await versionEvents(second.next, 1), [later], 'then live again')
})

t.test('reconnecting after the last seen version was pruned says reset', async (t) => {
  const app = await build(t, { env: { RETENTION_MAX_VERSIONS: '2', RETENTION_DAYS: '0' } })
  const url = await listening(app)
  const first = await connect(url)
  await save(app)
  const [seen] = await versionEvents(first.next, 1)
  first.close()
  const missed = await saveMany(app, 4)
  await app.store.cleanup()

  const second = await connect(url, { 'last-event-id': seen as string })
  t.teardown(second.close)
  const reset = await second.next()
  t.equal(reset.event, 'reset')
  t.equal(reset.id, missed[3], 'its id moves the client to the newest version')
  t.same(JSON.parse(reset.data), { lastEventId: seen, oldestAvailableId: missed[2], newestId: missed[3] })
  const later = await save(app)
  t.same(await versionEvents(second.next, 1), [later])

  const unknown = await connect(url, { 'last-event-id': 'not-an-id' })
  t.teardown(unknown.close)
  t.equal((await unknown.next()).event, 'reset', 'an id the service never gave resets too')
})

t.test('closing the server ends open streams instead of waiting on them', async (t) => {
  const app = await build(t)
  const url = await listening(app)
  const streams = await Promise.all([connect(url), connect(url)])
  await Promise.all(streams.map((stream) => stream.next({ comments: true })))
  let timer: NodeJS.Timeout | undefined
  const closed = await Promise.race([
    app.close().then(() => 'closed'),
    new Promise((resolve) => { timer = setTimeout(() => resolve('still open after 5 s'), 5000) })
  ])
  clearTimeout(timer)
  t.equal(closed, 'closed')
  for (const stream of streams) t.equal(await stream.ended(), true, 'the client sees the stream end')
})

t.test('HEAD answers the headers of a stream, and ends', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'HEAD', url: '/api/claude/console-usage/events' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/event-stream/)
  t.equal(res.body, '')
})

t.test('with a read key, the stream needs it', async (t) => {
  const app = await build(t, { env: { CLAUDE_READ_API_KEY: 'reader-key-0123456789' } })
  const url = await listening(app)
  const refused = await fetch(url)
  t.equal(refused.status, 401)
  t.match(await refused.json(), { success: false, errorCode: 'AUTH_MISSING' })
  for (const key of ['reader-key-0123456789', WRITE_KEY]) {
    // Left open: closing the app ends it. (fetch, aborted, leaves a spare socket that delays the close.)
    const stream = await connect(url, { 'x-api-key': key })
    t.equal(stream.status, 200)
  }
})
