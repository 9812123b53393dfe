// GET /metadata: the earlier server's six statistics, and what this service adds about them.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { errorResponses } from '../src/schemas/errors.js'
import { Metadata } from '../src/schemas/history.js'

export default async function metadataRoutes (fastify: FastifyInstance): Promise<void> {
  fastify.withTypeProvider<TypeBoxTypeProvider>().get('/metadata', {
    schema: {
      summary: 'Storage statistics and the retention policy',
      tags: ['history'],
      response: { 200: Metadata, ...errorResponses(401, 429, 500) }
    }
  }, async () => {
    const { store } = fastify
    const list = store.list()
    return {
      ...store.statistics(),
      retention: { maxVersions: store.retention.maxVersions, days: store.retention.days },
      bytesOnDisk: store.bytesStored(),
      oldestId: list[0]?.id ?? null,
      newestId: list[list.length - 1]?.id ?? null
    }
  })
}
