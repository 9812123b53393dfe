// Attaches strace to a running process (all its threads), so that a tracer's counters start at a
// moment the test chooses (after start-up), and a `when=k` injection lands on the k-th call of one
// operation rather than somewhere in the start-up.
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

function traced (pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).every((task) =>
      !/TracerPid:\s+0\n/.test(readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8')))
  } catch {
    return false
  }
}

export interface Attached {
  strace: ChildProcess
  /** Stops tracing (strace detaches on SIGTERM) and waits for strace to end. */
  detach: () => Promise<void>
}

export async function attachStrace (pid: number, args: string[]): Promise<Attached> {
  const strace = spawn('strace', ['-f', '-p', String(pid), ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  const ended = new Promise<void>((resolve) => strace.on('exit', () => resolve()))
  const deadline = Date.now() + 10_000
  while (!traced(pid)) {
    if (Date.now() > deadline || strace.exitCode !== null) throw new Error(`strace did not attach to ${pid}`)
    await sleep(5)
  }
  return {
    strace,
    detach: async () => {
      if (strace.exitCode === null) strace.kill('SIGTERM')
      await ended
    }
  }
}
