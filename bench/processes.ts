// Real server processes for the benchmarks: the built service and the bare baseline, each spawned
// on a free loopback port, timed from spawn to its first healthy answer, and measured for peak
// memory (VmHWM) before being stopped with SIGTERM, as pm2 would.
import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
/** The compiled service, as `npm start` runs it. */
export const SERVICE_ENTRY = fileURLToPath(new URL('../src/server.js', import.meta.url))
export const BARE_ENTRY = `${here}bare-server.js`
export const LADDER_ENTRY = `${here}ladder-server.js`
export const POSTGRES_FLOOR_ENTRY = `${here}pg-floor-server.js`

export const WRITE_KEY = 'bench-write-key-0123456789abcdef'

export interface RunningServer {
  url: string
  pid: number
  /** Milliseconds from spawn to the first 200 of the health route. */
  readyMs: number
  /** Peak resident memory so far, in MB of 10^6 bytes (VmHWM). */
  peakRssMb: () => Promise<number>
  /** CPU time (user + system) the process has used so far, ms: what a request costs the server, less
   * sensitive to a busy machine than a rate. */
  cpuMs: () => Promise<number>
  stop: () => Promise<void>
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

async function peakRssMb (pid: number): Promise<number> {
  // VmHWM is in KiB; the target is in MB.
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status)
  return match === null ? Number.NaN : (Number(match[1]) * 1024) / 1e6
}

const CLOCK_TICKS_PER_S = 100

async function cpuMs (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `url` answers 200; the poll interval bounds the error of the ready time. */
async function waitHealthy (url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready:\n${output()}`)
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.status === 200) return
    } catch {}
    if (Date.now() > deadline) throw new Error(`server not healthy after ${timeoutMs} ms:\n${output()}`)
    await sleep(5)
  }
}

async function startProcess (entry: string, args: string[], env: NodeJS.ProcessEnv, healthPath: string, port: number): Promise<RunningServer> {
  const started = performance.now()
  const child = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const keep = (chunk: Buffer): void => { log = (log + chunk.toString()).slice(-20_000) }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  const url = `http://127.0.0.1:${port}`
  try {
    await waitHealthy(`${url}${healthPath}`, child, () => log, 60_000)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  const readyMs = performance.now() - started
  const pid = child.pid as number
  return {
    url,
    pid,
    readyMs,
    peakRssMb: () => peakRssMb(pid),
    cpuMs: () => cpuMs(pid),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      if (child.exitCode !== 0) throw new Error(`server exited with ${child.exitCode}:\n${log}`)
    }
  }
}

export interface ServiceOptions {
  dataDir: string
  retentionMaxVersions?: number
  retentionDays?: number
  /** More variables: METRICS_ENABLED=false for a baseline, DATABASE_URL and DATABASE_SCHEMA for the PostgreSQL store. */
  env?: Record<string, string>
}

/** The built service on `dataDir`. Request logs are off (LOG_LEVEL=warn) so the figures measure the service, not the terminal. */
export async function startService (options: ServiceOptions): Promise<RunningServer> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: options.dataDir,
    CLAUDE_SYNC_API_KEY: WRITE_KEY,
    LOG_LEVEL: 'warn',
    RETENTION_MAX_VERSIONS: String(options.retentionMaxVersions ?? 100),
    RETENTION_DAYS: String(options.retentionDays ?? 7),
    ...options.env
  }
  return await startProcess(SERVICE_ENTRY, [], env, '/health', port)
}

/** The bare baseline: one Fastify route answering `bodyFile`'s JSON object from memory. */
export async function startBareServer (bodyFile: string): Promise<RunningServer> {
  const port = await freePort()
  return await startProcess(BARE_ENTRY, [bodyFile, String(port)], { PATH: process.env.PATH, NODE_ENV: 'production' }, '/ready', port)
}

/** The bare baseline with the first `step` of the service's per-request parts (bench/ladder-server.ts). */
export async function startLadderServer (bodyFile: string, step: number): Promise<RunningServer> {
  const port = await freePort()
  return await startProcess(LADDER_ENTRY, [bodyFile, String(port), String(step)], { PATH: process.env.PATH, NODE_ENV: 'production' }, '/ready', port)
}

/** The floor of a write on PostgreSQL: a bare Fastify route that stores the body with one INSERT commit (bench/pg-floor-server.ts). */
export async function startPostgresFloorServer (databaseUrl: string): Promise<RunningServer> {
  const port = await freePort()
  return await startProcess(POSTGRES_FLOOR_ENTRY, [databaseUrl, String(port)], { PATH: process.env.PATH, NODE_ENV: 'production' }, '/ready', port)
}

/** The repository, where `npm start` runs. */
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url))

export interface NpmStarted {
  /** Milliseconds from spawning `npm start` to the first latest read naming the newest version. */
  readyMs: number
  /** Resident memory of the service now, MB (VmRSS). */
  rssMb: () => Promise<number>
  stop: () => Promise<void>
}

/** The pid of the service that `npm start` (pid `root`) started, found among its descendants. */
async function servicePid (root: number): Promise<number | null> {
  const children = new Map<number, number[]>()
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)])
  }
  const queue = [root]
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (cmdline.includes('dist/src/server.js') && !cmdline.includes('&&')) return pid
    queue.push(...(children.get(pid) ?? []))
  }
  return null
}

export async function npmStarted (dataDir: string, newestId: string): Promise<NpmStarted> {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    CLAUDE_SYNC_API_KEY: WRITE_KEY,
    LOG_LEVEL: 'warn',
    RETENTION_MAX_VERSIONS: '1000000',
    RETENTION_DAYS: '36500'
  }
  const started = performance.now()
  const child = spawn('npm', ['start', '--silent'], { cwd: REPOSITORY, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const keep = (chunk: Buffer): void => { log = (log + chunk.toString()).slice(-20_000) }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const url = `http://127.0.0.1:${port}/api/claude/console-usage`
  const deadline = Date.now() + 120_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${log}`)
    try {
      const response = await fetch(url)
      const body = await response.json() as { versionInfo?: { id?: string } }
      if (response.status === 200 && body.versionInfo?.id === newestId) break
    } catch {}
    if (Date.now() > deadline) throw new Error(`no correct latest read within 120 s:\n${log}`)
    await sleep(5)
  }
  const readyMs = performance.now() - started
  const pid = await servicePid(child.pid as number)
  if (pid === null) throw new Error('could not find the service under npm start')
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  return {
    readyMs,
    rssMb: async () => {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
      return match === null ? Number.NaN : (Number(match[1]) * 1024) / 1e6
    },
    stop: async () => {
      process.kill(pid, 'SIGTERM')
      await exited
    }
  }
}
