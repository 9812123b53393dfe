// Limits on long-lived streams (Server-Sent Events), shared by every route that holds one open: at
// most EVENTS_MAX_STREAMS at once and STREAMS_PER_CLIENT from one client (address, IPv6 by /64), so
// a few clients cannot use up the process's file descriptors and starve /health and writes.
//
//   const release = fastify.takeStreamSlot(request)   // throws 503 TOO_MANY_STREAMS when full
//   response.once('close', release)
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError } from '../src/api-error.js'
import { clientKey } from '../src/failed-attempts.js'

export const STREAMS_PER_CLIENT = 10

declare module 'fastify' {
  interface FastifyInstance {
    /** Takes a place for one open stream of this request's client; returns the function that gives it back. */
    takeStreamSlot: (request: FastifyRequest) => () => void
  }
}

async function streams (fastify: FastifyInstance): Promise<void> {
  const max = fastify.config.EVENTS_MAX_STREAMS
  const byClient = new Map<string, number>()
  let open = 0

  fastify.decorate('takeStreamSlot', (request: FastifyRequest) => {
    const client = clientKey(request.ip)
    const mine = byClient.get(client) ?? 0
    if (open >= max || mine >= STREAMS_PER_CLIENT) {
      throw new ApiError(503, 'TOO_MANY_STREAMS', open >= max
        ? `the service holds its most open streams (${max}, EVENTS_MAX_STREAMS)`
        : `this address holds its most open streams (${STREAMS_PER_CLIENT})`, {
        // The connection is closed after the answer, so a refused client holds no descriptor.
        headers: { 'retry-after': '30', connection: 'close' },
        suggestion: 'close a stream you no longer read, or try again later'
      })
    }
    open++
    byClient.set(client, mine + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      open--
      const left = (byClient.get(client) ?? 1) - 1
      if (left === 0) byClient.delete(client)
      else byClient.set(client, left)
    }
  })
}

export default fp(streams, { name: 'streams', dependencies: ['env', 'errors'] })
