// Real processes for the operations and command-line tests: the compiled service and CLI (run
// `npx tsc -p tsconfig.build.json` first; `npm test` does), free loopback ports, and an HTTP client
// that opens a connection per request, as the scraper does, so a refused connection is told apart
// from a request the service received and dropped.
import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const SERVER = fileURLToPath(new URL('../../dist/src/server.js', import.meta.url))
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url))
export const WRITE_KEY = 'ops-test-write-key-0123456789'

export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** The environment of a child: this one's, without anything that would point it elsewhere. */
export function childEnv (extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(PORT|HOST|DATA_DIR|DATABASE_|CLAUDE_|RETENTION_|STALE_|CORS_|LOG_LEVEL|TLS_|USAGE_VAULT_|PM2_|NODE_OPTIONS|TS_NODE|TSIMP)/.test(name)) delete env[name]
  }
  return { ...env, ...extra }
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface RunningProcess {
  child: ChildProcess
  /** Every line of stdout and stderr so far (the service logs JSON lines). */
  lines: string[]
  output: () => string
  exited: Promise<Exit>
  /** Resolves with the first line matching, or rejects when the process ends first. */
  waitForLine: (pattern: RegExp, timeoutMs?: number) => Promise<string>
}

export function startProcess (t: Test, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): RunningProcess {
  const child = spawn(process.execPath, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiters = new Set<() => void>()
  for (const stream of [child.stdout, child.stderr]) {
    let rest = ''
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n')
      rest = parts.pop() ?? ''
      lines.push(...parts)
      for (const wake of waiters) wake()
    })
  }
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => {
    resolve({ code, signal })
    for (const wake of waiters) wake()
  }))
  let ended = false
  void exited.then(() => { ended = true })
  t.teardown(async () => {
    if (!ended) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const waitForLine = async (pattern: RegExp, timeoutMs = 30_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = lines.find((line) => pattern.test(line))
      if (found !== undefined) return found
      if (ended) throw new Error(`process ended before ${String(pattern)}:\n${lines.join('\n')}`)
      if (Date.now() > deadline) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${lines.join('\n')}`)
      await new Promise<void>((resolve) => {
        waiters.add(resolve)
        setTimeout(resolve, 100).unref()
      }).finally(() => { waiters.clear() })
    }
  }
  return { child, lines, output: () => lines.join('\n'), exited, waitForLine }
}

/** The service on a free port with a fresh configuration; resolves once it listens. */
export async function startService (t: Test, env: Record<string, string | undefined>): Promise<RunningProcess & { port: number }> {
  const port = await freePort()
  const service = startProcess(t, [SERVER], childEnv({ HOST: '127.0.0.1', PORT: String(port), CLAUDE_SYNC_API_KEY: WRITE_KEY, ...env }))
  await service.waitForLine(/Server listening/)
  return { ...service, port }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `usage-vault ARGS` to its end. */
export async function runCli (args: string[], options: { env?: Record<string, string | undefined>, input?: string, cwd?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(options.env ?? {}), cwd: options.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  child.stdin.end(options.input ?? '')
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  return { code, stdout, stderr }
}

export type Answer =
  | { kind: 'answered', status: number, body: string, requestId: string }
  | { kind: 'network', code: string, requestId: string }

/** One request on a connection of its own; a network failure is a result, not a throw. */
export async function send (port: number, method: string, path: string, options: { body?: string, requestId: string, key?: string }): Promise<Answer> {
  return await new Promise<Answer>((resolve) => {
    const headers: Record<string, string> = { 'x-request-id': options.requestId, connection: 'close' }
    if (options.key !== undefined) headers['x-api-key'] = options.key
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(Buffer.byteLength(options.body))
    }
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ kind: 'answered', status: res.statusCode ?? 0, body, requestId: options.requestId }))
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'network', code: error.code ?? error.message, requestId: options.requestId }))
    })
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'network', code: error.code ?? error.message, requestId: options.requestId }))
    req.end(options.body)
  })
}

/** A valid scraper payload, different for each `n`. */
export function payload (n: number): Record<string, unknown> {
  return {
    currentSession: { resetsIn: '2 hr 42 min', percentageUsed: n % 101 },
    weeklyLimits: {
      allModels: { resetsIn: 'Thu 7:00 AM', percentageUsed: 31 },
      sonnetOnly: { resetsIn: 'Sat 12:00 PM', percentageUsed: 10 }
    },
    lastUpdated: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString()
  }
}

/** Request ids the service logged as received ("incoming request"), from its JSON log lines. */
export function receivedRequestIds (lines: readonly string[]): Set<string> {
  const ids = new Set<string>()
  for (const line of lines) {
    if (!line.includes('incoming request')) continue
    try {
      const entry = JSON.parse(line) as { reqId?: string, msg?: string }
      if (entry.msg === 'incoming request' && typeof entry.reqId === 'string') ids.add(entry.reqId)
    } catch {}
  }
  return ids
}

/** Polls GET /health until it answers 200. */
export async function waitForHealth (port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let n = 0; ; n++) {
    const answer = await send(port, 'GET', '/health', { requestId: `health-${n}` })
    if (answer.kind === 'answered' && answer.status === 200) return
    if (Date.now() > deadline) throw new Error(`no healthy /health on ${port}: ${JSON.stringify(answer)}`)
    await sleep(100)
  }
}
