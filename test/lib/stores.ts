// Which store the tests of this process run against, and what they need to look at either store
// the same way. The folder store is the default; USAGE_VAULT_TEST_STORE=postgres selects the
// PostgreSQL store (test/conformance.test.ts runs the store and HTTP tests a second time so).
//
// A test names its history by a data folder, as it always has. In the PostgreSQL pass each folder
// maps to a schema of its own on the test file's server (test/lib/postgres.ts), so opening twice on
// one folder reopens the same history, as it does on the folder store.
import type { Test } from 'tap'
import { openStore, type RetentionPolicy, type Statistics, type VersionStore } from '../../src/storage/index.js'
import { derivedFilesFollow, idsOnDisk, metadataOnDisk } from '../storage/fixtures/folder.js'

export type StoreKind = 'folder' | 'postgres'

export const storeKind: StoreKind = process.env.USAGE_VAULT_TEST_STORE === 'postgres' ? 'postgres' : 'folder'

/**
 * For a test about the data folder itself (its files, modes, lock, the earlier server's layout): it
 * runs in the folder-store pass and is skipped, saying why, in the PostgreSQL pass.
 */
export const folderOnly = storeKind === 'folder' ? {} : { skip: 'about the data folder: runs in the folder-store pass' }

const quietLog = { info: () => {}, warn: () => {}, error: () => {} }
const schemaOfFolder = new Map<string, string>()

interface Database {
  url: string
  schema: string
}

async function databaseOf (t: Test, dataDir: string): Promise<Database> {
  const { freshSchema, testDatabaseUrl } = await import('./postgres.js')
  const url = await testDatabaseUrl()
  let schema = schemaOfFolder.get(dataDir)
  if (schema === undefined) {
    schema = freshSchema(t, url)
    schemaOfFolder.set(dataDir, schema)
  }
  return { url, schema }
}

async function databaseOptions (t: Test, dataDir: string): Promise<{ databaseUrl?: string, databaseSchema?: string }> {
  if (storeKind === 'folder') return {}
  const { url, schema } = await databaseOf(t, dataDir)
  return { databaseUrl: url, databaseSchema: schema }
}

/** DATABASE_URL and DATABASE_SCHEMA for the history of `dataDir` in the PostgreSQL pass; nothing in the folder pass. */
export async function storeEnv (t: Test, dataDir: string, kind: StoreKind = storeKind): Promise<Record<string, string>> {
  if (kind === 'folder') return {}
  const { url, schema } = await databaseOf(t, dataDir)
  return { DATABASE_URL: url, DATABASE_SCHEMA: schema }
}

export interface TestStoreOptions {
  retention?: RetentionPolicy
  clock?: () => number
  readOnly?: boolean
}

/** The engine of this pass on the history of `dataDir`, closed when `t` ends. */
export async function openTestStore (t: Test, dataDir: string, options: TestStoreOptions = {}): Promise<VersionStore> {
  const common = {
    retention: options.retention ?? { maxVersions: 1000, days: 7 },
    log: quietLog,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly })
  }
  const store = await openStore({ dataDir, ...await databaseOptions(t, dataDir), ...common })
  t.teardown(() => store.close())
  return store
}

/** What a fresh reader finds of the history, closed again at once. */
async function reread<T> (t: Test, dataDir: string, read: (store: VersionStore) => T): Promise<T> {
  const store = await openStore({ dataDir, ...await databaseOptions(t, dataDir), retention: { maxVersions: 1000, days: 7 }, log: quietLog, readOnly: true })
  try {
    return read(store)
  } finally {
    await store.close()
  }
}

/**
 * The ids the history holds durably: the version files, counted by hand, on the folder store; what a
 * fresh read-only instance loads from the database on the PostgreSQL store.
 */
export async function storedIds (t: Test, dataDir: string): Promise<string[]> {
  if (storeKind === 'folder') return await idsOnDisk(dataDir)
  return await reread(t, dataDir, (store) => store.list().map((meta) => meta.id))
}

/**
 * The six statistics as stored: `_metadata.json`, or the database's row read by a fresh instance.
 * Given the open store, the folder's file is read once it has followed the last write (it does so
 * within moments of the answer, contract section 4); the database's row changes with the commit.
 */
export async function storedStatistics (t: Test, dataDir: string, open?: VersionStore): Promise<Statistics | Record<string, unknown>> {
  if (storeKind === 'folder') {
    if (open !== undefined) await derivedFilesFollow(dataDir, open)
    return await metadataOnDisk(dataDir)
  }
  return await reread(t, dataDir, (store) => store.statistics())
}
