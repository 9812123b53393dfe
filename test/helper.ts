// Builds the app exactly as the server does, on a fresh temporary data folder, and removes both
// when the test ends. Tests talk to it with `app.inject`. The store under it is the one this pass
// runs on (test/lib/stores.ts): the folder store, or the PostgreSQL store.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Test } from 'tap'
import app, { type AppOptions } from '../src/app.js'
import { serverOptions } from '../src/server-options.js'
import { storeEnv, type StoreKind } from './lib/stores.js'

export { folderOnly, storeKind, storedIds, storedStatistics } from './lib/stores.js'

export const WRITE_KEY = 'test-write-key-0123456789'

export async function tempDir (t: Test, prefix = 'usage-vault-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface BuildOptions {
  /** Variables on top of the test defaults (a fresh DATA_DIR, the test write key, silent logs). */
  env?: Record<string, string | undefined>
  clock?: () => number
  /** Leave the data folder in place after the test (the caller cleans it). */
  dataDir?: string
  /** Alert delivery timings, shortened. */
  alerts?: AppOptions['alerts']
  /** The store, whatever this pass runs on (for tests of one store only). */
  store?: StoreKind
}

export async function build (t: Test, options: BuildOptions = {}): Promise<FastifyInstance> {
  const dataDir = options.dataDir ?? await tempDir(t)
  const env = {
    DATA_DIR: dataDir,
    CLAUDE_SYNC_API_KEY: WRITE_KEY,
    LOG_LEVEL: 'silent',
    ...await storeEnv(t, dataDir, options.store),
    ...options.env
  }
  const fastify = Fastify(serverOptions({ LOG_LEVEL: (env.LOG_LEVEL ?? 'silent') as 'silent', TRUST_PROXY: (env as Record<string, string | undefined>).TRUST_PROXY ?? '' }))
  // Through fastify-plugin, so that tests reach what the app decorates (`config`, `store`); the
  // server has nothing else at its root, so requests meet the same hooks either way.
  await fastify.register(fp(app), {
    env,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.alerts === undefined ? {} : { alerts: options.alerts })
  })
  await fastify.ready()
  t.teardown(() => fastify.close())
  return fastify
}

/** A valid scraper payload; `percentage` varies it so consecutive saves are not duplicates. */
export function samplePayload (percentage = 47, lastUpdated = new Date().toISOString()): Record<string, unknown> {
  return {
    currentSession: { resetsIn: '2 hr 42 min', percentageUsed: percentage },
    weeklyLimits: {
      allModels: { resetsIn: 'Thu 7:00 AM', percentageUsed: 31 },
      sonnetOnly: { resetsIn: 'Sat 12:00 PM', percentageUsed: 10 }
    },
    lastUpdated
  }
}

/** A no-op logger for engine tests. */
export const quietLog = { info: () => {}, warn: () => {}, error: () => {} }
