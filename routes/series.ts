// GET /series?field&from&to&points: one numeric field over time, reduced to at most `points`
// buckets. Answered from the numbers the store keeps in memory; no version file is read.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ApiError } from '../src/api-error.js'
import { receiptBounds } from '../src/history/bounds.js'
import { bucketSeries, numericFields } from '../src/history/series.js'
import { errorResponses } from '../src/schemas/errors.js'
import { Series, SeriesQuery } from '../src/schemas/history.js'

export default async function seriesRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.withTypeProvider<TypeBoxTypeProvider>().get('/series', {
    schema: {
      summary: 'A numeric field over time, for charts',
      tags: ['history'],
      querystring: SeriesQuery,
      response: { 200: Series, ...errorResponses(400, 401, 429, 500) }
    }
  }, async (request) => {
    const { field, points } = request.query
    const { from, to } = receiptBounds(request.query)
    const list = fastify.store.list()
    // A misspelt field would otherwise look like a field without data: name the ones there are.
    // Own keys only: `__proto__` or `toString` are in every object's prototype, not in any version.
    if (list.length > 0 && !list.some((meta) => Object.hasOwn(meta.numbers, field))) {
      throw new ApiError(400, 'VALIDATION_ERROR', `querystring.field: no retained version has a numeric field ${field}`, {
        suggestion: `one of: ${numericFields(list).join(', ')}`
      })
    }
    return {
      field,
      points: bucketSeries(list, { field, from, to, points }).map((point) => ({ ...point, t: new Date(point.t).toISOString() }))
    }
  })
}
