// Health checks at /health (pm2, load balancers) and /api/health (the widget): never behind a key,
// 503 only when the store cannot take writes.
import { Type, type TLiteral } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { healthReport } from '../src/health-report.js'

const Health = <S extends TLiteral<string>[]>(description: string, ...status: S) => Type.Object({
  status: Type.Union(status),
  storage: Type.Object({
    writable: Type.Boolean({ description: 'the data folder takes writes and the lock is held' }),
    versionCount: Type.Integer({ minimum: 0 }),
    damaged: Type.Integer({ minimum: 0, description: 'damaged files found and moved aside since start' })
  }),
  latestData: Type.Object({
    status: Type.Union([Type.Literal('fresh'), Type.Literal('stale'), Type.Literal('expired'), Type.Literal('none')], {
      description: 'fresh: newest version received within STALE_AFTER_MINUTES; stale: within 30 minutes; then expired'
    }),
    ageMinutes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    timestamp: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'receipt time of the newest version' })
  }),
  uptimeSeconds: Type.Integer({ minimum: 0 }),
  timestamp: Type.String({ format: 'date-time' })
}, { description })

const schema = {
  summary: 'Service health',
  tags: ['health'],
  response: {
    200: Health('the service stores and serves', Type.Literal('healthy'), Type.Literal('degraded')),
    503: Health('the service cannot store', Type.Literal('unhealthy'))
  }
}

export default async function health (fastify: FastifyInstance): Promise<void> {
  const routes = fastify.withTypeProvider<TypeBoxTypeProvider>()
  for (const url of ['/health', '/api/health']) {
    routes.get(url, { schema }, async (request, reply) => {
      const { store } = fastify
      const newest = store.statistics().newestTimestamp
      const report = healthReport({
        storage: await store.health(),
        versionCount: store.list().length,
        newestReceivedAt: newest === null ? null : Date.parse(newest),
        staleAfterMinutes: fastify.config.STALE_AFTER_MINUTES,
        uptimeSeconds: process.uptime(),
        now: Date.now()
      })
      if (report.status === 'unhealthy') {
        request.log.warn({ storage: report.storage }, 'health: the store cannot take writes')
        return reply.code(503).send(report)
      }
      return report
    })
  }
}
