// A PostgreSQL server for one test file: its own embedded server (started once, stopped in the
// file's teardown), or the server of TEST_DATABASE_URL when set. Each test gets a fresh schema and
// stores that close in its teardown.
import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import type { Test } from 'tap'
import { startEmbeddedPostgres, type RunningPostgres } from '../../bench/embedded-postgres.js'
import { createPostgresStore, type PostgresStoreOptions } from '../../src/storage/postgres-store.js'

export const quietLog = { info: () => {}, warn: () => {}, error: () => {} }

export interface TestDatabase {
  url: string
  /** The embedded server (to stop and start again), or null on TEST_DATABASE_URL. */
  server: RunningPostgres | null
}

/** Starts (or names) the file's server; registered on the file's root test, torn down with it. */
export async function testDatabase (t: Test): Promise<TestDatabase> {
  const given = process.env.TEST_DATABASE_URL
  if (given !== undefined && given !== '') return { url: given, server: null }
  const server = await startEmbeddedPostgres({ fsync: false })
  t.teardown(() => server.stop())
  return { url: server.url, server }
}

export type StoreUnderTest = Awaited<ReturnType<typeof createPostgresStore>>

/** A fresh schema name, dropped at the end of test `t`. */
export function freshSchema (t: Test, database: TestDatabase): string {
  const schema = `test_${randomBytes(5).toString('hex')}`
  t.teardown(async () => {
    const sql = postgres(database.url, { max: 1, onnotice: () => {} })
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => sql.end({ timeout: 1 }))
  })
  return schema
}

/** Opens a store on `schema`, closed when `t` ends. */
export async function openTestStore (t: Test, database: TestDatabase, schema: string, options: Partial<PostgresStoreOptions> = {}): Promise<StoreUnderTest> {
  const store = await createPostgresStore({
    url: database.url,
    schema,
    retention: { maxVersions: 1000, days: 365 },
    log: quietLog,
    ...options
  })
  t.teardown(() => store.close())
  return store
}

/** Resolves once `condition` holds, checking every 20 ms (the file's timeout bounds the wait). */
export async function until (condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}
