// Graceful close that waits for requests, not for connections. Node's server.close() waits for
// every open connection, and the idle ones Fastify closes for it do not include a connection that
// has not sent its first request yet (a browser's pre-connect, a TCP health check): such a socket
// would hold the close until its timeout. So once closing has begun and the last request in flight
// is answered, every connection left is closed.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'

async function drain (fastify: FastifyInstance): Promise<void> {
  const inFlight = new Set<FastifyRequest>()
  let closing = false

  const closeConnectionsIfDrained = (): void => {
    if (!closing || inFlight.size > 0) return
    // After the answer's last bytes are handed to the socket.
    setImmediate(() => fastify.server.closeAllConnections())
  }
  // Callback-style hooks: they run for every request, and a promise each would be waste.
  const settle = (request: FastifyRequest): void => {
    if (inFlight.delete(request)) closeConnectionsIfDrained()
  }

  fastify.addHook('onRequest', (request, reply, done) => {
    inFlight.add(request)
    done()
  })
  fastify.addHook('onResponse', (request, reply, done) => {
    settle(request)
    done()
  })
  fastify.addHook('onRequestAbort', (request, done) => {
    settle(request)
    done()
  })
  fastify.addHook('preClose', async () => {
    closing = true
    closeConnectionsIfDrained()
  })
}

export default fp(drain, { name: 'drain' })
