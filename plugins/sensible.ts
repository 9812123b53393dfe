// HTTP errors by name (`fastify.httpErrors.notFound()`), used by the routes and the error handler.
import fp from 'fastify-plugin'
import sensible from '@fastify/sensible'
import type { FastifyInstance } from 'fastify'

async function sensiblePlugin (fastify: FastifyInstance): Promise<void> {
  await fastify.register(sensible)
}

export default fp(sensiblePlugin, { name: 'sensible' })
