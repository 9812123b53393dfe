// GET /metrics: the Prometheus text of the app's registry (plugins/metrics.ts). With
// CLAUDE_READ_API_KEY set it needs the read (or write) key, in X-API-Key as every read does, or as
// `Authorization: Bearer <key>`, which is what Prometheus's scrape configuration sends.
import type { FastifyInstance, FastifyRequest, FastifyReply } from 'fastify'
import { errorResponses } from '../src/schemas/errors.js'

export default async function metricsRoute (fastify: FastifyInstance): Promise<void> {
  const usage = fastify.usageMetrics
  if (usage === null) return

  const requireKey = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
    // The key hooks read X-API-Key; a bearer token is the same key in another header.
    if (request.headers['x-api-key'] === undefined && bearer !== null) request.headers['x-api-key'] = bearer[1]
    await fastify.requireReadKey(request, reply)
  }

  fastify.get('/metrics', {
    onRequest: requireKey,
    schema: {
      summary: 'Prometheus metrics',
      description: 'Prometheus text format (version 0.0.4). With CLAUDE_READ_API_KEY set, send the read key in X-API-Key or as Authorization: Bearer.',
      tags: ['metrics'],
      produces: ['text/plain'],
      response: {
        200: { type: 'string', description: 'the metrics, in the Prometheus text format' },
        ...errorResponses(401, 429)
      }
    }
  }, async (_request, reply) => {
    const text = await usage.registry.metrics()
    return reply.type(usage.registry.contentType).send(text)
  })
}
