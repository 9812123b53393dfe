// Stores of the PostgreSQL engine for the store-level tests, on the server of test/lib/postgres.ts
// (one per test file, or TEST_DATABASE_URL), each closed when its test ends.
import type { Test } from 'tap'
import { createPostgresStore, type PostgresStoreOptions } from '../../src/storage/postgres-store.js'

export const quietLog = { info: () => {}, warn: () => {}, error: () => {} }

export type StoreUnderTest = Awaited<ReturnType<typeof createPostgresStore>>

/** Opens a store on `schema` of the server at `url`, closed when `t` ends. */
export async function openPostgresStore (t: Test, url: string, schema: string, options: Partial<PostgresStoreOptions> = {}): Promise<StoreUnderTest> {
  const store = await createPostgresStore({ url, schema, retention: { maxVersions: 1000, days: 365 }, log: quietLog, ...options })
  t.teardown(() => store.close())
  return store
}

/** Resolves once `condition` holds, checking every 20 ms (the file's timeout bounds the wait). */
export async function until (condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}
