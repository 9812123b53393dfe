// GET /retention: what a clean-up would do now, and why each kept version stays (a dry run).
// POST /cleanup: runs retention now (write key); it shares a run already in progress.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { retentionReport } from '../src/history/retention-report.js'
import { errorResponses } from '../src/schemas/errors.js'
import { CleanupResult, RetentionReport } from '../src/schemas/history.js'

export default async function retentionRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.get('/retention', {
    schema: {
      summary: 'Retention dry run: what a clean-up now would keep and delete',
      tags: ['history'],
      response: { 200: RetentionReport, ...errorResponses(401, 429, 500) }
    }
  }, async () => {
    const now = Date.now()
    return retentionReport(fastify.store.planRetention(now), now)
  })

  app.post('/cleanup', {
    onRequest: fastify.requireWriteKey,
    schema: {
      summary: 'Apply retention now',
      tags: ['history'],
      security: [{ apiKey: [] }],
      response: { 200: CleanupResult, ...errorResponses(401, 429, 500, 503, 507) }
    }
  }, async () => fastify.store.cleanup())
}
