// Errors from one place: the one error handler and the one not-found handler of the service. Every
// 4xx/5xx leaves as the contract's envelope `{ success: false, statusCode, errorCode, message,
// suggestion?, requestId, timestamp }`; 5xx never show internals (they are logged instead).
//
// Routes and hooks refuse a request by throwing an ApiError (re-exported here):
//   throw new ApiError(404, 'NOT_FOUND', 'nothing is stored yet', { suggestion: '...' })
//   throw new ApiError(410, 'VERSION_PRUNED', '...', { details: { oldestAvailableId } })
// `fastify.httpErrors.*` (sensible), StorageError (507/503) and validation errors are mapped too.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError, describeError, envelope, type DescribedError } from '../src/api-error.js'

export { ApiError, envelope, type ApiErrorOptions } from '../src/api-error.js'

function sendError (request: FastifyRequest, reply: FastifyReply, described: DescribedError): FastifyReply {
  if (described.headers !== undefined) reply.headers(described.headers)
  return reply.code(described.statusCode).type('application/json; charset=utf-8').send(envelope(described, request.id))
}

async function errors (fastify: FastifyInstance): Promise<void> {
  fastify.setErrorHandler((error, request, reply) => {
    const described = describeError(error as Parameters<typeof describeError>[0])
    if (described.statusCode >= 500) {
      request.log.error({ err: error, errorCode: described.errorCode }, 'request failed')
    } else {
      request.log.info({ statusCode: described.statusCode, errorCode: described.errorCode, reason: described.message }, 'request refused')
    }
    return sendError(request, reply, described)
  })

  // A request that reaches the service while it closes (on a kept-alive connection) is refused in
  // the envelope, with Retry-After: the scraper sends it again after the restart. Fastify's own
  // answer (return503OnClosing, off in src/server-options.ts) has neither.
  let closing = false
  fastify.addHook('preClose', async () => { closing = true })
  // Callback style, like the other per-request hooks: no promise for the common case.
  fastify.addHook('onRequest', (request, reply, done) => {
    done(closing
      ? new ApiError(503, 'SHUTTING_DOWN', 'the service is restarting', {
        headers: { 'retry-after': '5' },
        suggestion: 'send the request again in a few seconds'
      })
      : undefined)
  })

  fastify.setNotFoundHandler((request, reply) => sendError(request, reply, {
    statusCode: 404,
    errorCode: 'NOT_FOUND',
    message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    suggestion: 'see GET /docs for the routes of this service'
  }))
}

export default fp(errors, { name: 'errors' })
