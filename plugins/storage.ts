// The versioned store, opened before the service listens and closed after the last request. The
// engine lives in src/storage; this plugin only opens it with the configured folder or database
// and policy.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { openStore, type VersionStore } from '../src/storage/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: VersionStore
  }
}

export interface StoragePluginOptions {
  /** The clock receipts are stamped from (tests step it back); the system clock by default. */
  clock?: () => number
}

async function storage (fastify: FastifyInstance, options: StoragePluginOptions): Promise<void> {
  const store = await openStore({
    databaseUrl: fastify.config.DATABASE_URL,
    databaseSchema: fastify.config.DATABASE_SCHEMA,
    dataDir: fastify.config.DATA_DIR,
    retention: { maxVersions: fastify.config.RETENTION_MAX_VERSIONS, days: fastify.config.RETENTION_DAYS },
    log: fastify.log.child({ module: 'storage' }),
    ...(options.clock === undefined ? {} : { clock: options.clock })
  })
  fastify.decorate('store', store)
  fastify.addHook('onClose', async () => {
    await store.close()
  })
}

export default fp(storage, { name: 'storage', dependencies: ['env'] })
