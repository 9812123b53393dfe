// Opens the store of a data folder for a command, with the retention policy of the configuration,
// and closes it whatever the command does. Writing commands take the folder's lock, so they refuse
// (LockHeldError) while a service holds it; reading ones open it read-only and never wait for it.
import type { Logger } from 'pino'
import type { Env } from '../config.js'
import { createLocalStore, type VersionStore } from '../storage/index.js'

export async function withStore<T> (
  dataDir: string,
  config: Env,
  log: Logger,
  mode: { readOnly: boolean },
  task: (store: VersionStore) => Promise<T>
): Promise<T> {
  const store = await createLocalStore({
    dataDir,
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
