// Configuration first: every other plugin reads `fastify.config`, validated against the one
// schema of src/config.ts. The server passes the environment it was started with; tests pass their own.
import fp from 'fastify-plugin'
import fastifyEnv from '@fastify/env'
import type { FastifyInstance } from 'fastify'
import { checkEnv, envSchemaOptions, type Env } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Env
  }
}

export interface EnvPluginOptions {
  /** The variables to read; the process environment (and `.env`) when absent. */
  env?: NodeJS.ProcessEnv
}

async function env (fastify: FastifyInstance, options: EnvPluginOptions): Promise<void> {
  await fastify.register(fastifyEnv, envSchemaOptions(options.env ?? process.env, options.env === undefined))
  checkEnv(fastify.config)
}

export default fp(env, { name: 'env' })
