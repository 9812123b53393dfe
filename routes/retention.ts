// GET /retention: what a clean-up would do now, and why each kept version stays (a dry run), a page
// at a time like /versions: a history of 100,000 versions in one answer took megabytes and stalled
// the other requests. POST /cleanup: runs retention now (write key); it shares a run already in progress.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ApiError } from '../src/api-error.js'
import { createCursorCodec } from '../src/history/cursor.js'
import { retentionPage } from '../src/history/retention-report.js'
import { errorResponses } from '../src/schemas/errors.js'
import { CleanupResult, RetentionPage, RetentionQuery } from '../src/schemas/history.js'

export default async function retentionRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const codec = createCursorCodec(fastify.deriveSecret('retention-cursor'))

  app.get('/retention', {
    schema: {
      summary: 'Retention dry run: what a clean-up now would keep and delete, a page at a time',
      tags: ['history'],
      querystring: RetentionQuery,
      response: { 200: RetentionPage, ...errorResponses(400, 401, 429, 500) }
    }
  }, async (request) => {
    const { limit, cursor } = request.query
    const after = cursor === undefined ? null : codec.decode(cursor)?.after ?? null
    if (cursor !== undefined && after === null) {
      throw new ApiError(400, 'INVALID_CURSOR', 'cursor is not one this service made, or it was changed', { suggestion: 'start again without a cursor' })
    }
    const { store } = fastify
    const { nextAfter, ...page } = retentionPage(store.list(), Date.now(), store.retention, { limit, after })
    return { ...page, nextCursor: nextAfter === null ? null : codec.encode({ order: 'asc', from: null, to: null, after: nextAfter }) }
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
