// The earlier server's endpoint pair: the scraper POSTs a snapshot, the widget GETs the latest (or
// an earlier) one. Writes need the write key; reads need the read key only when one is configured
// (plugins/auth.ts). Bodies must be JSON: the text/plain parser Fastify adds is removed here, so
// anything else is refused with 415 rather than failing validation as a string.
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { ApiError, VALIDATION_SUGGESTION } from '../src/api-error.js'
import { UsagePayload, payloadProblem } from '../src/schemas/payload.js'
import { errorResponses } from '../src/schemas/errors.js'
import { pickVersion } from '../src/version-query.js'
import { replyWithVersion, versionViewResponses } from '../src/version-view.js'

export const CONSOLE_USAGE_PATH = '/api/claude/console-usage'

const Stored = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  version: Type.Object({
    id: Type.String({ example: '2026-01-25T16-32-31-ca7d685a' }),
    receivedAt: Type.String({ format: 'date-time' })
  }),
  duplicate: Type.Boolean({ description: 'true when the body equalled the latest stored payload: nothing new was stored' })
})

const ReadQuery = Type.Object({
  version: Type.Optional(Type.String({ description: '1 = oldest retained, -1 = latest, -2 = the one before', example: '-1' })),
  timestamp: Type.Optional(Type.String({ description: 'ISO 8601: the version received nearest to this time', example: '2026-01-25T16:32:31Z' })),
  at: Type.Optional(Type.String({ description: 'ISO 8601: the newest version received at or before this time', example: '2026-01-25T16:32:31Z' }))
}, { description: 'at most one of version, timestamp, at; other parameters (cache busters) are ignored' })

export default async function consoleUsage (fastify: FastifyInstance): Promise<void> {
  const routes = fastify.withTypeProvider<TypeBoxTypeProvider>()
  fastify.removeContentTypeParser('text/plain')

  routes.post(CONSOLE_USAGE_PATH, {
    onRequest: fastify.requireWriteKey,
    schema: {
      summary: 'Store a usage snapshot',
      description: 'Needs the write key in X-API-Key. A body equal to the latest stored payload is acknowledged with duplicate: true and not stored again. ' +
        'A partial scrape names the sections it could not read in extractionErrors (currentSession, allModels, sonnetOnly); only those may carry the placeholder { resetsIn: "", percentageUsed: 0 }, and they are stored as sent but read as missing.',
      tags: ['console-usage'],
      headers: Type.Object({ 'x-api-key': Type.Optional(Type.String({ description: 'the write key' })) }),
      body: UsagePayload,
      response: { 200: Stored, ...errorResponses(400, 401, 413, 415, 429, 500, 503, 507) }
    }
  }, async (request) => {
    // The schema has run; what it cannot say (a placeholder only where extractionErrors names the section) is checked here.
    const problem = payloadProblem(request.body)
    if (problem !== null) throw new ApiError(400, 'VALIDATION_ERROR', problem, { suggestion: VALIDATION_SUGGESTION })
    const { version, duplicate } = await fastify.store.save(request.body)
    // Retention runs (plugins/cleanup.ts) only when something new was stored.
    if (!duplicate) request.storedVersion = true
    request.log.info({ versionId: version.id, duplicate }, duplicate ? 'snapshot repeated the latest version' : 'snapshot stored')
    return {
      success: true as const,
      message: duplicate ? 'same as the latest stored snapshot; nothing new stored' : 'snapshot stored',
      timestamp: new Date().toISOString(),
      version: { id: version.id, receivedAt: new Date(version.receivedAt).toISOString() },
      duplicate
    }
  })

  routes.get(CONSOLE_USAGE_PATH, {
    schema: {
      summary: 'Read the latest snapshot, or an earlier one',
      description: 'Answers 304 to If-None-Match / If-Modified-Since when the client already holds the version.',
      tags: ['console-usage'],
      querystring: ReadQuery,
      response: versionViewResponses(400, 401, 404, 429, 500, 503)
    }
  }, async (request, reply) => {
    const { store } = fastify
    const meta = pickVersion(store.list(), request.query)
    const latest = store.latest()
    const version = latest?.meta.id === meta.id ? latest : await store.get(meta.id)
    if (version === null) {
      // Removed by retention (or moved aside as damaged) between the choice and the read.
      throw new ApiError(404, 'NOT_FOUND', `version ${meta.id} is no longer available`, { suggestion: 'read again' })
    }
    return replyWithVersion(request, reply, version)
  })
}
