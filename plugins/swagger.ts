// The OpenAPI 3.1 document (GET /docs/json) and its Swagger UI (GET /docs), generated from the
// routes' own TypeBox schemas. Registered before every route: @fastify/swagger learns routes through
// an onRoute hook, so a route added before it would be missing from the document.
// 3.1 rather than 3.0: its schemas are JSON Schema, so `type: 'null'` (nullable fields) stays as written.
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

/** The version of the HTTP contract this document describes, not of the package. */
export const API_VERSION = '1.0.0'

async function swaggerPlugin (fastify: FastifyInstance): Promise<void> {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'usage-vault',
        description: 'A versioned, retention-managed history of Claude usage snapshots. ' +
          'Writes need the write key in X-API-Key; reads need the read key too when CLAUDE_READ_API_KEY is set.',
        version: API_VERSION
      },
      tags: [
        { name: 'console-usage', description: 'store and read snapshots, as the earlier server did' },
        { name: 'history', description: 'versions, diffs, series, retention and events' },
        { name: 'health', description: 'for health checks; never needs a key' },
        { name: 'alerts', description: 'alerts sent to ALERT_WEBHOOK_URL, and a test alert' },
        { name: 'metrics', description: 'Prometheus metrics; the read key when one is set' }
      ],
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'the write key, or the read key for reads' }
        }
      }
    }
  })
  await fastify.register(swaggerUi, { routePrefix: '/docs' })
}

export default fp(swaggerPlugin, { name: 'swagger' })
