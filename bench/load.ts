// Load over loopback with autocannon. Latencies are taken from autocannon's per-response events
// (microsecond precision; its own histogram keeps whole milliseconds and leaves out 304s), and
// requests per second are counted from the answers with the expected status only.
import autocannon, { type Request } from 'autocannon'
import { sorted } from './stats.js'

export interface LoadOptions {
  url: string
  connections: number
  /** Seconds to run; or `amount`, a number of requests. */
  durationS?: number
  amount?: number
  requests: Request[]
  expectStatus: number
}

export interface LoadResult {
  requestsPerSecond: number
  /** Latencies of the expected answers, ms, sorted. */
  latenciesMs: number[]
  /** Completion time (performance.now()) and latency of each expected answer, in order. */
  timeline: Array<[number, number]>
  unexpected: Record<string, number>
  errors: number
}

export interface RunningLoad {
  stop: () => void
  done: Promise<LoadResult>
}

export function startLoad (options: LoadOptions): RunningLoad {
  const timeline: Array<[number, number]> = []
  const unexpected: Record<string, number> = {}
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount === undefined ? { duration: options.durationS ?? 5 } : { amount: options.amount }),
    timeout: 30,
    requests: options.requests
  })
  const started = performance.now()
  instance.on('response', (_client: unknown, status: number, _bytes: number, latencyMs: number) => {
    if (status === options.expectStatus) timeline.push([performance.now(), latencyMs])
    else unexpected[status] = (unexpected[status] ?? 0) + 1
  })
  const done = Promise.resolve(instance).then((result) => {
    const elapsedS = (performance.now() - started) / 1000
    return {
      requestsPerSecond: timeline.length / elapsedS,
      latenciesMs: sorted(timeline.map(([, latency]) => latency)),
      timeline,
      unexpected,
      errors: result.errors + result.timeouts
    }
  })
  return { stop: () => { instance.stop() }, done }
}

export async function load (options: LoadOptions): Promise<LoadResult> {
  const result = await startLoad(options).done
  const failures = Object.values(result.unexpected).reduce((sum, count) => sum + count, 0)
  if (failures > 0 || result.errors > 0) {
    throw new Error(`load on ${options.url} got unexpected answers ${JSON.stringify(result.unexpected)} and ${result.errors} errors`)
  }
  return result
}

export const WRITE_PATH = '/api/claude/console-usage'
export const READ_PATH = '/api/claude/console-usage'
