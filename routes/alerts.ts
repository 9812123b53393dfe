// GET /alerts: the recent alerts and how their delivery went (read key, as every read). POST
// /alerts/test: one test alert sent now, recorded nowhere, answered with what the receiver said
// (write key).
import { randomBytes } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../src/api-error.js'
import { alertId, bodyOf, serviceAlert } from '../src/alerts/alert.js'
import { errorResponses } from '../src/schemas/errors.js'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

const AlertBody = {
  id: Type.String({ description: 'the same on every attempt; sent as Idempotency-Key', example: 'threshold-3f2a9c0d1e4b5a67' }),
  kind: Type.String({ description: 'threshold, forecast, stale, storage, recovered or test' }),
  limit: nullable(Type.String({ description: 'currentSession, weeklyAllModels or weeklySonnet' })),
  threshold: nullable(Type.Number()),
  percentageUsed: nullable(Type.Number()),
  resetsAt: nullable(Type.String({ format: 'date-time' })),
  projectedFullAt: nullable(Type.String({ format: 'date-time' })),
  versionId: nullable(Type.String()),
  message: Type.String(),
  createdAt: Type.String({ format: 'date-time' })
}

const AlertList = Type.Object({
  enabled: Type.Boolean({ description: 'ALERT_WEBHOOK_URL is set' }),
  alerts: Type.Array(Type.Object({
    ...AlertBody,
    attempts: Type.Integer({ minimum: 0 }),
    nextAttemptAt: nullable(Type.String({ format: 'date-time', description: 'null once delivered or given up (after 24 hours)' })),
    deliveredAt: nullable(Type.String({ format: 'date-time' })),
    lastError: nullable(Type.String({ description: 'why the last attempt failed' }))
  }), { description: 'newest first' })
})

const TestResult = Type.Object({
  success: Type.Literal(true),
  delivered: Type.Boolean({ description: 'the receiver answered 2xx' }),
  receiverStatus: nullable(Type.Integer({ description: 'the HTTP status the receiver answered; null when it did not answer' })),
  error: nullable(Type.String()),
  alert: Type.Object(AlertBody)
})

export default async function alertRoutes (fastify: FastifyInstance): Promise<void> {
  const routes = fastify.withTypeProvider<TypeBoxTypeProvider>()

  routes.get('/alerts', {
    schema: {
      summary: 'Recent alerts and their delivery',
      tags: ['alerts'],
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
      response: { 200: AlertList, ...errorResponses(400, 401, 429, 500, 503) }
    }
  }, async (request) => {
    const records = await fastify.alerts.recent(request.query.limit)
    return {
      enabled: fastify.alerts.sender !== null,
      alerts: records.map((record) => ({
        ...bodyOf(record),
        attempts: record.attempts,
        nextAttemptAt: record.nextAttemptAt === null ? null : new Date(record.nextAttemptAt).toISOString(),
        deliveredAt: record.deliveredAt,
        lastError: record.lastError
      }))
    }
  })

  routes.post('/alerts/test', {
    onRequest: fastify.requireWriteKey,
    schema: {
      summary: 'Send a test alert now',
      description: 'Sends one alert of kind test to ALERT_WEBHOOK_URL, in ALERT_WEBHOOK_FORMAT, once, and answers with what the receiver said. It is not recorded and not retried.',
      tags: ['alerts'],
      security: [{ apiKey: [] }],
      response: { 200: TestResult, ...errorResponses(401, 409, 429, 500) }
    }
  }, async () => {
    const { sender } = fastify.alerts
    if (sender === null) {
      throw new ApiError(409, 'ALERTS_DISABLED', 'no alert receiver is configured', { suggestion: 'set ALERT_WEBHOOK_URL and restart the service' })
    }
    const createdAt = new Date().toISOString()
    const alert = serviceAlert(alertId('test', createdAt, randomBytes(4).toString('hex')), 'test', 'A test alert from usage-vault: alerts reach this receiver.')
    const result = await sender.sendOnce({ ...alert, createdAt })
    return { success: true as const, delivered: result.delivered, receiverStatus: result.status, error: result.error, alert: { ...alert, createdAt } }
  })
}
