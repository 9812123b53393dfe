// GET /events: Server-Sent Events, one `version` event per stored version. A client that
// reconnects with Last-Event-ID first gets what it missed (src/history/version-feed.ts). Open
// streams are ended in preClose: otherwise a graceful close would wait on them for ever. Streams are
// limited in number (plugins/streams.ts) and each holds a bounded buffer: the feed waits for a
// client that does not read, and closes its stream when the buffer stays full for `stallMs`.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { openVersionFeed, type VersionFeed } from '../src/history/version-feed.js'
import { openEventStream } from '../src/event-stream.js'
import { errorResponses } from '../src/schemas/errors.js'
import { EventsHeaders } from '../src/schemas/history.js'

export interface EventsRoutesOptions {
  /** Interval of the comment that keeps idle connections open through proxies. */
  heartbeatMs?: number
  /** How long a client's buffer may stay full before its stream is closed. */
  stallMs?: number
}

export const HEARTBEAT_MS = 15_000
export const STALL_MS = 30_000

const EventStream = Type.String({
  description: 'text/event-stream. `event: version` with `id:` = version id and data `{ id, receivedAt, payload }`; ' +
    '`event: reset` with data `{ lastEventId, oldestAvailableId, newestId }` when Last-Event-ID names a pruned or unknown version; ' +
    '`: heartbeat` comments every 15 s',
  example: 'event: version\nid: 2026-01-25T16-32-31-ca7d685a\ndata: {"id":"2026-01-25T16-32-31-ca7d685a","receivedAt":"2026-01-25T16:32:31.412Z","payload":{"lastUpdated":"2026-01-25T16:32:29.000Z"}}\n\n'
})

export default async function eventsRoutes (fastify: FastifyInstance, options: EventsRoutesOptions): Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS
  const stallMs = options.stallMs ?? STALL_MS
  const feeds = new Set<VersionFeed>()

  fastify.addHook('preClose', async () => {
    for (const feed of feeds) feed.close()
  })

  fastify.withTypeProvider<TypeBoxTypeProvider>().get('/events', {
    schema: {
      summary: 'Stored versions as Server-Sent Events',
      tags: ['history'],
      headers: EventsHeaders,
      response: {
        200: { description: 'an event stream that stays open', content: { 'text/event-stream': { schema: EventStream } } },
        ...errorResponses(401, 429, 500, 503)
      }
    }
  }, async (request, reply) => {
    const response = openEventStream(request, reply)
    if (response === null) return
    const feed = openVersionFeed({
      store: fastify.store,
      lastEventId: request.headers['last-event-id'],
      heartbeatMs,
      stallMs,
      log: request.log,
      sink: {
        write: (chunk) => response.writableEnded || response.write(chunk),
        end: () => { if (!response.writableEnded) response.end() },
        drained: () => new Promise((resolve) => {
          const done = (): void => {
            response.off('drain', done)
            response.off('close', done)
            resolve()
          }
          response.once('drain', done)
          response.once('close', done)
        })
      }
    })
    feeds.add(feed)
    response.once('close', () => {
      feed.close()
      feeds.delete(feed)
    })
    request.log.info({ lastEventId: request.headers['last-event-id'] }, 'event stream opened')
  })
}
