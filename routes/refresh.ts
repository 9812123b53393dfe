// The widget's refresh button (contract section 5): POST /trigger asks every connected scraper
// agent to scrape now and waits for the next stored version; GET /refresh-requests is the stream an
// agent (`usage-vault agent`) listens on. Both need the write key. The waiting and joining live in
// src/refresh-requests.ts; here are the HTTP answers. Streams and waiting triggers are ended in
// preClose, so a graceful close never waits on them.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ApiError } from '../src/api-error.js'
import { openEventStream } from '../src/event-stream.js'
import { sseComment, sseMessage } from '../src/history/sse.js'
import { createRefreshCoordinator } from '../src/refresh-requests.js'
import { errorResponses } from '../src/schemas/errors.js'
import { HEARTBEAT_MS } from './events.js'

export interface RefreshRoutesOptions {
  /** Interval of the comment that keeps an idle agent's connection open through proxies. */
  heartbeatMs?: number
}

const TriggerQuery = Type.Object({
  wait: Type.Integer({ minimum: 0, maximum: 60, default: 30, description: 'seconds to wait for the new version' })
}, { description: 'other parameters (cache busters) are ignored' })

const answered = { success: Type.Literal(true), message: Type.String(), timestamp: Type.String({ format: 'date-time' }) }

const Refreshed = Type.Object({
  ...answered,
  version: Type.Object({
    id: Type.String({ example: '2026-01-25T16-32-31-ca7d685a' }),
    receivedAt: Type.String({ format: 'date-time' })
  })
}, { description: 'a new version was stored after the request' })

const Asked = Type.Object({
  ...answered,
  agents: Type.Integer({ minimum: 1, description: 'how many agents were asked', example: 1 })
}, { description: 'agents were asked, but no new version came within the wait' })

const RefreshStream = Type.String({
  description: 'text/event-stream. `event: refresh` with data `{ id, requestedAt }` for each refresh asked for; `: heartbeat` comments every 15 s',
  example: 'event: refresh\ndata: {"id":"0b6f3c1e-9a51-4c1e-8f0e-0c8b9f1d2a73","requestedAt":"2026-01-25T16:32:31.412Z"}\n\n'
})

const NO_BODY = 'Send it as the widget does: no body (with or without Content-Type: application/json).'

export default async function refreshRoutes (fastify: FastifyInstance, options: RefreshRoutesOptions): Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS
  const coordinator = createRefreshCoordinator({ onVersion: fastify.store.onVersion })
  fastify.addHook('preClose', async () => { coordinator.close() })

  // The widget sends `Content-Type: application/json` and no body; Fastify's parser refuses that
  // (400 "the body is empty"). In this plugin only, an empty JSON body is no body.
  fastify.removeContentTypeParser('application/json')
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, JSON.parse(body as string))
    } catch (error) {
      // Marked 400, the error handler answers INVALID_JSON.
      (error as SyntaxError & { statusCode: number }).statusCode = 400
      done(error as Error, undefined)
    }
  })

  const routes = fastify.withTypeProvider<TypeBoxTypeProvider>()

  routes.post('/trigger', {
    onRequest: fastify.requireWriteKey,
    schema: {
      summary: 'Ask the scraper to scrape now (the refresh button)',
      description: `Needs the write key. Sends a refresh event to every connected agent (GET /refresh-requests) and waits up to \`wait\` seconds for the next stored version. Triggers that arrive while one is pending join it. ${NO_BODY}`,
      tags: ['console-usage'],
      security: [{ apiKey: [] }],
      querystring: TriggerQuery,
      response: { 200: Refreshed, 202: Asked, ...errorResponses(400, 401, 429, 500, 503) }
    }
  }, async (request, reply) => {
    const outcome = await coordinator.trigger(request.query.wait * 1000)
    const timestamp = new Date().toISOString()
    switch (outcome.kind) {
      case 'no-agent':
        throw new ApiError(503, 'NO_SCRAPER_CONNECTED', 'no scraper agent is connected to ask for a refresh', {
          suggestion: 'run `usage-vault agent --run "<scraper command>"` beside the scraper, with the write key; it listens on GET /api/claude/console-usage/refresh-requests'
        })
      case 'closing':
        throw new ApiError(503, 'SHUTTING_DOWN', 'the service is restarting', { headers: { 'retry-after': '5' }, suggestion: 'send the request again in a few seconds' })
      case 'timeout':
        request.log.info({ refreshId: outcome.request.id, agents: outcome.agents }, 'refresh asked for; no new version in time')
        return reply.code(202).send({
          success: true as const,
          message: `asked ${outcome.agents} agent(s) to scrape; no new version came within ${request.query.wait} s`,
          timestamp,
          agents: outcome.agents
        })
      case 'stored':
        request.log.info({ refreshId: outcome.request.id, versionId: outcome.version.id }, 'refresh answered by a new version')
        return {
          success: true as const,
          message: 'a new version was stored',
          timestamp,
          version: { id: outcome.version.id, receivedAt: new Date(outcome.version.receivedAt).toISOString() }
        }
    }
  })

  routes.get('/refresh-requests', {
    onRequest: fastify.requireWriteKey,
    schema: {
      summary: 'Refresh requests for scraper agents, as Server-Sent Events',
      description: 'Needs the write key. `usage-vault agent` listens here; while one is connected, POST /trigger can ask it to scrape.',
      tags: ['console-usage'],
      security: [{ apiKey: [] }],
      response: {
        200: { description: 'an event stream that stays open', content: { 'text/event-stream': { schema: RefreshStream } } },
        ...errorResponses(401, 429, 500, 503)
      }
    }
  }, async (request, reply) => {
    const response = openEventStream(request, reply)
    if (response === null) return
    const write = (chunk: string): void => { if (!response.writableEnded) response.write(chunk) }
    const heartbeat = setInterval(() => { write(sseComment('heartbeat')) }, heartbeatMs)
    heartbeat.unref()
    write(sseComment('connected'))
    const disconnect = coordinator.connect({
      ask: (refresh) => { write(sseMessage({ event: 'refresh', data: refresh })) },
      end: () => { if (!response.writableEnded) response.end() }
    })
    response.once('close', () => {
      clearInterval(heartbeat)
      disconnect()
      request.log.info({ agents: coordinator.agents() }, 'scraper agent disconnected')
    })
    request.log.info({ agents: coordinator.agents() }, 'scraper agent connected')
  })
}
