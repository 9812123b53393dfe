// The storage engine's public face: the store interface, the local-folder and PostgreSQL stores, and the pure
// pieces (retention, ids) that the HTTP layer and the command-line tool reuse.
export type * from './types.js'
export { createLocalStore, type LocalStoreOptions } from './local-store.js'
export type { PostgresStoreOptions } from './postgres-store.js'
export { openStore, DEFAULT_DATABASE_SCHEMA, type OpenStoreOptions } from './open-store.js'
export { StorageError, LockHeldError } from './errors.js'
export { planRetention, expiredVersions, type RetentionPolicy, type RetentionPlan, type KeepReason } from './retention.js'
export { isVersionId } from './ids.js'
export type { StoreLog } from './log.js'
