// Child processes of the fault suite: the engine writer (test/faults/fixtures/writer.mjs) and the
// built service, each on a real folder, with what they acknowledged collected as it happens.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { SERVER_JS, WRITER_MJS } from './paths.js'
import type { Ack } from './folder.js'

/** No io_uring: strace must see (and be able to fail) every file system call. */
const BASE_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', UV_USE_IO_URING: '0' }

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Child {
  child: ChildProcess
  /** stdout and stderr lines so far. */
  lines: string[]
  exited: Promise<Exit>
  /** Resolves with the first line matching, rejects when the process ends first. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>
}

function watch (child: ChildProcess, onLine: (line: string) => void = () => {}): Child {
  const lines: string[] = []
  const waiters = new Set<() => void>()
  let ended: Exit | null = null
  const take = (stream: NodeJS.ReadableStream | null): void => {
    if (stream === null) return
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line)
      onLine(line)
      for (const wake of waiters) wake()
    })
  }
  take(child.stdout)
  take(child.stderr)
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      // Let the last lines of the pipes arrive first.
      setTimeout(() => {
        ended = { code, signal }
        for (const wake of waiters) wake()
        resolve(ended)
      }, 50)
    })
  })
  const waitFor = (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
    let seen = 0
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${String(pattern)}; output:\n${lines.slice(-30).join('\n')}`)), timeoutMs)
    const finish = (error: Error | null, match?: RegExpMatchArray): void => {
      clearTimeout(timer)
      waiters.delete(check)
      if (error === null) resolve(match as RegExpMatchArray)
      else reject(error)
    }
    const check = (): void => {
      for (; seen < lines.length; seen++) {
        const match = pattern.exec(lines[seen] as string)
        if (match !== null) return finish(null, match)
      }
      if (ended !== null) finish(new Error(`process ended (${JSON.stringify(ended)}) before ${String(pattern)}; output:\n${lines.slice(-30).join('\n')}`))
    }
    waiters.add(check)
    check()
  })
  return { child, lines, exited, waitFor }
}

export interface WriterOptions {
  mode?: 'auto' | 'commands' | 'open'
  count?: number
  concurrency?: number
  seqStart?: number
  cleanupAfterSave?: boolean
  maxVersions?: number
  days?: number
  /** A command to run the writer under (`strace ...`); node and its arguments follow it. */
  prefix?: string[]
  env?: Record<string, string>
}

export interface Writer extends Child {
  acks: Ack[]
  /** The pid of the node process (not of a prefix such as strace). */
  pid: () => Promise<number>
  send: (command: string) => void
}

export function startWriter (dataDir: string, options: WriterOptions = {}): Writer {
  const env: Record<string, string> = {
    ...BASE_ENV,
    WRITER_MODE: options.mode ?? 'auto',
    WRITER_COUNT: String(options.count ?? Infinity),
    WRITER_CONCURRENCY: String(options.concurrency ?? 8),
    WRITER_SEQ_START: String(options.seqStart ?? 0),
    WRITER_CLEANUP: options.cleanupAfterSave === true ? '1' : '0',
    RETENTION_MAX_VERSIONS: String(options.maxVersions ?? 100),
    RETENTION_DAYS: String(options.days ?? 7),
    ...options.env
  }
  const argv = [...(options.prefix ?? []), process.execPath, WRITER_MJS, dataDir]
  const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] })
  const acks: Ack[] = []
  const watched = watch(child, (line) => {
    const match = /^ACK (\d+) (\S+)$/.exec(line)
    if (match !== null) acks.push({ seq: Number(match[1]), id: match[2] as string })
  })
  return {
    ...watched,
    acks,
    pid: async () => Number((await watched.waitFor(/^READY (\d+)$/))[1]),
    send: (command) => { child.stdin?.write(`${command}\n`) }
  }
}

/** Opens the store (a restart: it recovers the folder) and closes it again. */
export async function restartStore (dataDir: string, options: WriterOptions = {}): Promise<void> {
  const writer = startWriter(dataDir, { ...options, mode: 'open' })
  const exit = await writer.exited
  if (exit.code !== 0) throw new Error(`the store did not reopen (${JSON.stringify(exit)}):\n${writer.lines.join('\n')}`)
}

export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export const WRITE_KEY = 'fault-suite-write-key-0123456789'

export interface ServiceOptions {
  env?: Record<string, string | undefined>
  prefix?: string[]
  /** Do not wait for /health (for starts that are expected to fail). */
  noWait?: boolean
}

export interface Service extends Child {
  url: string
  /** The pid of the node process, from its log. */
  pid: () => Promise<number>
  stop: () => Promise<Exit>
}

export async function startService (dataDir: string, options: ServiceOptions = {}): Promise<Service> {
  const port = await freePort()
  const env: Record<string, string> = { ...BASE_ENV }
  const settings = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', CLAUDE_SYNC_API_KEY: WRITE_KEY, LOG_LEVEL: 'info', ...options.env }
  for (const [name, value] of Object.entries(settings)) if (value !== undefined) env[name] = value
  const argv = [...(options.prefix ?? []), process.execPath, SERVER_JS]
  const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const watched = watch(child)
  const url = `http://127.0.0.1:${port}`
  const service: Service = {
    ...watched,
    url,
    // Under a prefix (strace) the child is the prefix; the service's log names its own pid.
    pid: async () => options.prefix === undefined ? child.pid as number : Number((await watched.waitFor(/"pid":(\d+)/))[1]),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(await service.pid(), 'SIGTERM')
      return await watched.exited
    }
  }
  if (options.noWait !== true) await waitForHealth(service)
  return service
}

async function waitForHealth (service: Service): Promise<void> {
  const deadline = Date.now() + 20_000
  let exited = false
  void service.exited.then(() => { exited = true })
  while (Date.now() < deadline && !exited) {
    try {
      await fetch(`${service.url}/health`, { signal: AbortSignal.timeout(1000) })
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  throw new Error(`the service did not answer /health:\n${service.lines.slice(-30).join('\n')}`)
}
