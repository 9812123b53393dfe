// pm2 cluster mode on PostgreSQL, started from ecosystem.config.js as an operator does with
// DATABASE_URL set: several instances serve one port, and `pm2 reload` replaces them one after the
// other under a write load, losing no acknowledged write.
import t from 'tap'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { tempDir } from '../helper.js'
import { startPostgres } from '../lib/postgres.js'
import { childEnv, freePort, ROOT, waitForHealth, WRITE_KEY } from './lib.js'
import { exported, newLoad, writer } from './instances.js'

const run = promisify(execFile)
const PM2 = join(ROOT, 'node_modules', '.bin', 'pm2')

t.test('with DATABASE_URL, pm2 runs a cluster that serves and reloads without losing a write', async (t) => {
  const server = await startPostgres(t)
  const db = { url: server.url, schema: 'pm2' }
  const pm2Home = await tempDir(t, 'usage-vault-pm2-')
  const port = await freePort()
  const env = childEnv({
    PM2_HOME: pm2Home,
    DATA_DIR: await tempDir(t),
    DATABASE_URL: db.url,
    DATABASE_SCHEMA: db.schema,
    USAGE_VAULT_INSTANCES: '2',
    PORT: String(port),
    HOST: '127.0.0.1',
    CLAUDE_SYNC_API_KEY: WRITE_KEY,
    RETENTION_MAX_VERSIONS: '1000000',
    USAGE_VAULT_LOG_DIR: await tempDir(t, 'usage-vault-logs-')
  })
  const pm2 = async (...args: string[]): Promise<string> => (await run(PM2, args, { env, cwd: ROOT, timeout: 60_000 })).stdout
  t.teardown(async () => { await pm2('kill').catch(() => {}) })
  const processes = async (): Promise<Array<{ pid: number, mode: string }>> =>
    (JSON.parse(await pm2('jlist')) as Array<{ pid: number, pm2_env: { exec_mode: string } }>).map((app) => ({ pid: app.pid, mode: app.pm2_env.exec_mode }))

  await pm2('start', 'ecosystem.config.js')
  await waitForHealth(port)
  const before = await processes()
  t.same(before.map((app) => app.mode), ['cluster_mode', 'cluster_mode'], 'two instances in cluster mode')

  const load = newLoad()
  let stop = false
  const workers = Array.from({ length: 4 }, (_, worker) => writer(() => [port], worker, load, () => stop))
  await sleep(1000)
  const beforeReload = load.acknowledged.length
  await pm2('reload', 'usage-vault')
  await waitForHealth(port)
  await sleep(1000)
  stop = true
  await Promise.all(workers)

  const after = await processes()
  t.equal(after.length, 2)
  t.notOk(after.some((app) => before.some((old) => old.pid === app.pid)), 'the reload replaced both processes')
  t.ok(beforeReload > 0 && load.acknowledged.length > beforeReload,
    `writes acknowledged before (${beforeReload}) and after the reload (${load.acknowledged.length} in all; retried: ${JSON.stringify(Object.fromEntries(load.failures))})`)
  const stored = new Set((await exported(t, db)).map((version) => version.id))
  t.same(load.acknowledged.filter((write) => !stored.has(write.id)).map((write) => write.id), [], 'every acknowledged write is in the database')
})
