// The service under the real pm2, started from ecosystem.config.js as an operator does, with a
// write load running through a `pm2 reload`: no acknowledged write is lost (every acknowledged id
// has its file on disk), and every request the old process had received was answered. Requests
// refused at the connection or answered 503 while it restarts are retried, as the scraper does.
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { tempDir } from '../helper.js'
import { childEnv, freePort, payload, receivedRequestIds, ROOT, send, waitForHealth, WRITE_KEY } from './lib.js'

const run = promisify(execFile)
const PM2 = join(ROOT, 'node_modules', '.bin', 'pm2')
const ROUTE = '/api/claude/console-usage'

interface Load {
  acknowledged: string[]
  /** Every request id sent, with what came back. */
  outcomes: Map<string, string>
  retried: number
}

/** A worker that stores distinct payloads one after another until `stop`, retrying like the scraper. */
async function writer (port: number, worker: number, load: Load, stopped: () => boolean): Promise<void> {
  for (let n = 0; !stopped(); n++) {
    const body = JSON.stringify(payload(worker * 1_000_000 + n))
    for (let attempt = 0; ; attempt++) {
      const requestId = `w${worker}-${n}-${attempt}`
      const answer = await send(port, 'POST', ROUTE, { body, requestId, key: WRITE_KEY })
      load.outcomes.set(requestId, answer.kind === 'answered' ? String(answer.status) : answer.code)
      if (answer.kind === 'answered' && answer.status === 200) {
        load.acknowledged.push((JSON.parse(answer.body) as { version: { id: string } }).version.id)
        break
      }
      if (answer.kind === 'answered' && answer.status !== 503) throw new Error(`${requestId}: ${answer.status} ${answer.body}`)
      load.retried++
      await sleep(50)
    }
  }
}

t.test('pm2 reload under a write load loses no acknowledged write and answers what it received', async (t) => {
  const pm2Home = await tempDir(t, 'usage-vault-pm2-')
  const dataDir = await tempDir(t)
  const logDir = await tempDir(t, 'usage-vault-logs-')
  const port = await freePort()
  const env = childEnv({
    PM2_HOME: pm2Home,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    CLAUDE_SYNC_API_KEY: WRITE_KEY,
    RETENTION_MAX_VERSIONS: '1000000',
    USAGE_VAULT_LOG_DIR: logDir
  })
  const pm2 = async (...args: string[]): Promise<string> => (await run(PM2, args, { env, cwd: ROOT, timeout: 30_000 })).stdout
  t.teardown(async () => { await pm2('kill').catch(() => {}) })
  const pids = async (): Promise<number[]> => (JSON.parse(await pm2('jlist')) as Array<{ pid: number }>).map((app) => app.pid)

  await pm2('start', 'ecosystem.config.js')
  await waitForHealth(port)
  const [firstPid] = await pids()

  const load: Load = { acknowledged: [], outcomes: new Map(), retried: 0 }
  let stop = false
  const workers = Array.from({ length: 4 }, (_, worker) => writer(port, worker, load, () => stop))
  await sleep(1000)
  const beforeReload = load.acknowledged.length
  await pm2('reload', 'usage-vault')
  await waitForHealth(port)
  await sleep(1000)
  stop = true
  await Promise.all(workers)

  const [secondPid] = await pids()
  t.not(secondPid, firstPid, 'pm2 reload replaced the process')
  const retriedOn = [...new Set([...load.outcomes.values()].filter((outcome) => outcome !== '200'))].join(', ')
  t.ok(beforeReload > 0 && load.acknowledged.length > beforeReload,
    `writes acknowledged before (${beforeReload}) and after the reload (${load.acknowledged.length} in all; ${load.retried} retries on ${retriedOn || 'nothing'})`)

  const missing = load.acknowledged.filter((id) => !existsSync(join(dataDir, 'console-usage-history', `${id}.json`)))
  t.same(missing, [], 'every acknowledged version is on disk')
  t.equal(new Set(load.acknowledged).size, load.acknowledged.length, 'no id was handed out twice')

  const log = await readFile(join(logDir, 'usage-vault.out.log'), 'utf8')
  t.match(log, /"signal":"SIGINT".*closing/, 'the old process closed gracefully on pm2\'s signal')
  const received = receivedRequestIds(log.split('\n'))
  const dropped = [...load.outcomes].filter(([requestId, outcome]) => received.has(requestId) && !/^\d+$/.test(outcome))
  t.same(dropped, [], 'every request a process received got an HTTP answer')

  // The statistics follow the acknowledgements within moments (contract section 4, "Derived files").
  const counted = async (): Promise<number> => (JSON.parse(await readFile(join(dataDir, 'console-usage-history', '_metadata.json'), 'utf8')) as { versionCount: number }).versionCount
  for (let tries = 0; tries < 100 && await counted() !== load.acknowledged.length; tries++) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(await counted(), load.acknowledged.length, 'the statistics count every acknowledged version')
})
