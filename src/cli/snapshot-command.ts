// One run of the scraper's command for `usage-vault agent`: run CMD through the shell, and take
// the snapshot it printed on stdout (or wrote to a file). Anything but a clean exit and one JSON
// object is a failed run, reported in a sentence; the agent pushes nothing for it.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'

export interface SnapshotCommand {
  /** A shell command line, e.g. `npx tsx scrape.ts --json`. */
  run: string
  /** Read the snapshot from this file once the command has exited, instead of its stdout. */
  file: string | undefined
  /** A run that takes longer is stopped (its process group gets SIGTERM, then SIGKILL). */
  timeoutMs: number
}

export type RunResult = { ok: true, body: string } | { ok: false, why: string }

/** More than this on stdout is not a snapshot (a POST body is at most 64 KiB). */
const MAX_OUTPUT_BYTES = 1024 * 1024
const KILL_GRACE_MS = 5000

async function runToEnd (command: SnapshotCommand): Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, why?: string }> {
  // Its own process group, so a stop reaches what the shell started too (a browser, say).
  const child = spawn(command.run, { shell: true, detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
  const chunks: Buffer[] = []
  let size = 0
  let why: string | undefined
  const stop = (reason: string): void => {
    if (why !== undefined || child.pid === undefined) return
    why = reason
    const group = -child.pid
    try { process.kill(group, 'SIGTERM') } catch {}
    setTimeout(() => { try { process.kill(group, 'SIGKILL') } catch {} }, KILL_GRACE_MS).unref()
  }
  child.stdout.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size > MAX_OUTPUT_BYTES) stop(`printed more than ${MAX_OUTPUT_BYTES} bytes`)
    else chunks.push(chunk)
  })
  const timer = setTimeout(() => stop(`still running after ${command.timeoutMs / 1000} s; stopped`), command.timeoutMs)
  timer.unref()
  return await new Promise((resolve) => {
    child.once('error', (error) => {
      clearTimeout(timer)
      resolve({ code: null, signal: null, stdout: '', why: error.message })
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(chunks).toString('utf8'), ...(why === undefined ? {} : { why }) })
    })
  })
}

export async function runSnapshotCommand (command: SnapshotCommand): Promise<RunResult> {
  const ended = await runToEnd(command)
  if (ended.why !== undefined) return { ok: false, why: ended.why }
  if (ended.code !== 0) return { ok: false, why: ended.signal === null ? `exited with status ${String(ended.code)}` : `ended by ${ended.signal}` }
  let text = ended.stdout
  if (command.file !== undefined) {
    try {
      text = await readFile(command.file, 'utf8')
    } catch (error) {
      return { ok: false, why: `cannot read ${command.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }
    }
  }
  const where = command.file ?? 'its output'
  let snapshot: unknown
  try {
    snapshot = JSON.parse(text)
  } catch {
    return { ok: false, why: `${where} is not valid JSON${text.trim() === '' ? ' (empty)' : ''}` }
  }
  if (snapshot === null || typeof snapshot !== 'object' || Array.isArray(snapshot)) return { ok: false, why: `${where} is not a JSON object` }
  return { ok: true, body: JSON.stringify(snapshot) }
}
