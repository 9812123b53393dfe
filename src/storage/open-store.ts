// Which store a process opens: the PostgreSQL store when a database URL is given, the data folder
// otherwise. The storage plugin and the command-line tool ask only this, so nothing above
// `src/storage/` knows which one it talks to.
import { createLocalStore } from './local-store.js'
import type { StoreLog } from './log.js'
import type { RetentionPolicy } from './retention.js'
import type { VersionStore } from './types.js'

export const DEFAULT_DATABASE_SCHEMA = 'usage_vault'

export interface OpenStoreOptions {
  /** Set: the PostgreSQL store; `dataDir` is then not used. */
  databaseUrl?: string | undefined
  databaseSchema?: string | undefined
  dataDir: string
  retention: RetentionPolicy
  log: StoreLog
  readOnly?: boolean
  clock?: () => number
  /** How long an unreachable database is waited for at start (30 s by default). */
  connectTimeoutMs?: number
}

export async function openStore (options: OpenStoreOptions): Promise<VersionStore> {
  const common = {
    retention: options.retention,
    log: options.log,
    ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
    ...(options.clock === undefined ? {} : { clock: options.clock })
  }
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    // Loaded only here: a service on the folder store never loads the database driver.
    const { createPostgresStore } = await import('./postgres-store.js')
    return await createPostgresStore({
      ...common,
      url: options.databaseUrl,
      schema: options.databaseSchema ?? DEFAULT_DATABASE_SCHEMA,
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs })
    })
  }
  return await createLocalStore({ ...common, dataDir: options.dataDir })
}
