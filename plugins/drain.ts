// Graceful close that waits for requests, not for connections. Node's server.close() waits for
// every open connection, and the idle ones Fastify closes for it do not include a connection that
// has not sent its first request yet (a browser's pre-connect, a TCP health check): such a socket
// would hold the close until its timeout. So once closing has begun and the last request in flight
// is answered, every connection left is closed.
//
// A request whose body is still arriving is waited for, but not past `bodyCutoffMs` after the close
// began (shortly before the server's close deadline): a client that stalls halfway through its body
// is then cut off, so it can neither hold the close until the deadline nor make the exit non-zero.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { CLOSE_TIMEOUT_MS } from '../src/server-options.js'

export interface DrainOptions {
  /** How long after the close begins a body still arriving is waited for. */
  bodyCutoffMs?: number
}

/** Two seconds before the deadline: time for the cut-off requests to settle and the store to close. */
export const BODY_CUTOFF_MS = CLOSE_TIMEOUT_MS - 2_000

async function drain (fastify: FastifyInstance, options: DrainOptions): Promise<void> {
  const bodyCutoffMs = options.bodyCutoffMs ?? BODY_CUTOFF_MS
  const inFlight = new Set<FastifyRequest>()
  let closing = false
  let cutoff: NodeJS.Timeout | null = null

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
    cutoff = setTimeout(() => {
      const sending = [...inFlight].filter((request) => !request.raw.complete)
      if (sending.length === 0) return
      fastify.log.warn({ requests: sending.map((request) => request.id) }, `close: cut off ${sending.length} client(s) still sending a request body`)
      for (const request of sending) {
        inFlight.delete(request)
        request.raw.socket.destroy()
      }
      closeConnectionsIfDrained()
    }, bodyCutoffMs)
    cutoff.unref()
  })
  fastify.addHook('onClose', (instance, done) => {
    if (cutoff !== null) clearTimeout(cutoff)
    done()
  })
}

export default fp(drain, { name: 'drain' })
