// The built service as users run it: `node dist/src/server.js` on a free port with a fresh data
// folder and no configured key. The scraper writes with fetch, the widget reads, the operator
// stops it with SIGTERM and starts it again; the data and the key survive.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t, { type Test } from 'tap'
import { samplePayload, tempDir } from '../helper.js'

const root = join(import.meta.dirname, '..', '..')
const serverJs = join(root, 'dist', 'src', 'server.js')

interface Running {
  child: ChildProcess
  base: string
  log: () => string
  exited: Promise<number | null>
}

async function start (t: Test, dataDir: string): Promise<Running> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' }
  delete env.CLAUDE_SYNC_API_KEY
  delete env.CLAUDE_READ_API_KEY
  const child = spawn(process.execPath, [serverJs], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const lines: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => lines.push(String(chunk)))
  const base = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line)
      const address = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (address !== null) resolve(address[1] as string)
    })
    void exited.then((code) => reject(new Error(`server exited ${code} before listening:\n${lines.join('\n')}`)))
  })
  return { child, base, log: () => lines.join('\n'), exited }
}

t.before(() => {
  // `npm test` builds first; a lone run of this file builds here.
  if (!existsSync(serverJs)) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
})

t.test('the scraper writes and the widget reads the built server over HTTP; a restart keeps both', async (t) => {
  const dataDir = await tempDir(t)
  const first = await start(t, dataDir)
  const api = `${first.base}/api/claude/console-usage`

  const health = await fetch(`${first.base}/health`)
  t.equal(health.status, 200)
  t.match(await health.json(), { status: 'degraded', storage: { writable: true, versionCount: 0 }, latestData: { status: 'none' } })
  const empty = await fetch(api)
  t.equal(empty.status, 404)
  t.match(await empty.json(), { success: false, errorCode: 'NOT_FOUND', requestId: empty.headers.get('x-request-id') })

  // The key was made at first start: the operator reads it from the file the log names.
  const keyFile = join(dataDir, '.api-key')
  const key = (await readFile(keyFile, 'utf8')).trim()
  t.match(first.log(), keyFile)

  const scrape = (body: unknown, apiKey = key): Promise<Response> => fetch(api, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000)
  })
  const payload = samplePayload(47)
  const stored = await scrape(payload)
  t.equal(stored.status, 200)
  const { version, duplicate } = await stored.json() as { version: { id: string }, duplicate: boolean }
  t.equal(duplicate, false)
  t.same(JSON.parse(await readFile(join(dataDir, 'console-usage-history', `${version.id}.json`), 'utf8')), payload)
  t.match(await (await scrape(payload)).json(), { duplicate: true, version: { id: version.id } }, 'a retry of the same scrape')
  t.equal((await scrape({ ...payload, extra: 1 })).status, 400)
  t.equal((await scrape(payload, 'wrong')).status, 401)
  const text = await fetch(api, { method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-API-Key': key }, body: 'hi' })
  t.equal(text.status, 415)

  const read = await fetch(api, { headers: { Accept: 'application/json' } })
  t.equal(read.status, 200)
  t.ok(read.headers.get('x-request-id'))
  t.equal(read.headers.get('cache-control'), 'public, max-age=60')
  const view = await read.json() as Record<string, unknown>
  t.match(view, { ...payload, isStale: false, ageMinutes: 0, source: 'ec2-sync', versionInfo: { current: 1, total: 1, id: version.id, filename: `${version.id}.json` } })
  const etag = read.headers.get('etag') as string
  t.equal((await fetch(api, { headers: { 'If-None-Match': etag } })).status, 304)
  t.notMatch(first.log(), key, 'the key never reaches the log')

  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'SIGTERM: a clean exit')
  t.notOk(existsSync(join(dataDir, '.lock')), 'the lock is released')

  const second = await start(t, dataDir)
  const again = await fetch(`${second.base}/api/claude/console-usage`)
  t.equal(again.status, 200)
  t.equal(again.headers.get('etag'), etag, 'the same version after the restart')
  t.match(await (await fetch(`${second.base}/api/health`)).json(), { status: 'healthy', storage: { versionCount: 1 }, latestData: { status: 'fresh' } })
  const afterRestart = await fetch(`${second.base}/api/claude/console-usage`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': key }, body: JSON.stringify(samplePayload(48))
  })
  t.equal(afterRestart.status, 200, 'the kept key still writes')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})

t.test('an unknown USAGE_TIMEZONE stops the start with a non-zero exit that names it', async (t) => {
  const dataDir = await tempDir(t)
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, USAGE_TIMEZONE: 'Europe/Atlantis' }
  const child = spawn(process.execPath, [serverJs], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += String(chunk) })
  child.stderr.on('data', (chunk: Buffer) => { output += String(chunk) })
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)))
  t.not(code, 0)
  t.match(output, /USAGE_TIMEZONE \\"Europe\/Atlantis\\" is not an IANA time zone/)
  t.notOk(existsSync(join(dataDir, 'console-usage-history')), 'nothing was opened')
})
