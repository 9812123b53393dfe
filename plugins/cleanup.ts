// Retention after each stored write. It runs from onResponse, so it never delays the answer; the
// store coalesces runs (one at a time), and close waits for the one in flight.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a route that stored a new version, so retention runs once it is answered. */
    storedVersion: boolean
  }
}

async function cleanup (fastify: FastifyInstance): Promise<void> {
  const running = new Set<Promise<unknown>>()
  fastify.decorateRequest('storedVersion', false)

  // Callback style: it runs after every response and, but for stored writes, has nothing to do.
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.storedVersion) {
      const run = fastify.store.cleanup()
        .catch((error: unknown) => { request.log.error({ err: error }, 'retention clean-up failed') })
        .finally(() => running.delete(run))
      running.add(run)
    }
    done()
  })

  // Registered after storage, so this runs before the store closes (onClose runs in reverse order).
  fastify.addHook('onClose', async () => {
    await Promise.all(running)
  })
}

export default fp(cleanup, { name: 'cleanup', dependencies: ['storage'] })
