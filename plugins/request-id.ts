// Every response carries X-Request-Id: the client's own id when it sent a plain one (see
// src/server-options.ts), otherwise the one made for it, so a report can be matched to the log.
// Set on arrival, so answers that end early (refusals, 404s, errors) carry it as well.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

async function requestId (fastify: FastifyInstance): Promise<void> {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
}

export default fp(requestId, { name: 'request-id' })
