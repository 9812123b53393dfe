// Opens the history a command works on (a data folder or a database, src/cli/context.ts), with the
// retention policy of the configuration, and closes it whatever the command does. On a folder,
// writing commands take its lock, so they refuse (LockHeldError) while a service holds it, and
// reading ones open it read-only and never wait for it. On a database, any number of instances and
// commands share the history, as the service's instances do.
import type { Logger } from 'pino'
import type { Env } from '../config.js'
import { openStore, type VersionStore } from '../storage/index.js'
import type { HistoryTarget } from './context.js'

export async function withStore<T> (
  target: HistoryTarget,
  config: Env,
  log: Logger,
  mode: { readOnly: boolean },
  task: (store: VersionStore) => Promise<T>
): Promise<T> {
  const store = await openStore({
    ...(target.kind === 'folder'
      ? { dataDir: target.dataDir }
      : { dataDir: config.DATA_DIR, databaseUrl: target.url, databaseSchema: target.schema }),
    retention: { maxVersions: config.RETENTION_MAX_VERSIONS, days: config.RETENTION_DAYS },
    log,
    readOnly: mode.readOnly
  })
  try {
    return await task(store)
  } finally {
    await store.close()
  }
}
