// GET /diff?from=ID&to=ID: what changed between two versions, as RFC 6902 operations.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { diffPayloads } from '../src/history/diff.js'
import { requireVersion } from '../src/history/require-version.js'
import { errorResponses } from '../src/schemas/errors.js'
import { Diff, DiffQuery } from '../src/schemas/history.js'

export default async function diffRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.withTypeProvider<TypeBoxTypeProvider>().get('/diff', {
    schema: {
      summary: 'The JSON Patch that turns one version into another',
      tags: ['history'],
      querystring: DiffQuery,
      response: { 200: Diff, ...errorResponses(400, 401, 404, 410, 429, 500, 503) }
    }
  }, async (request) => {
    const { from, to } = request.query
    const [first, second] = await Promise.all([
      requireVersion(fastify.store, from, 'querystring.from'),
      requireVersion(fastify.store, to, 'querystring.to')
    ])
    return { from, to, patch: diffPayloads(first.payload, second.payload) }
  })
}
