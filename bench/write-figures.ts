// The durable-write figures: throughput with 32 concurrent clients and the latency of one client,
// against a plain sequential fsync loop in the same folder; and the write median and p99 with
// 100,000 retained versions against the same with 100.
import { join } from 'node:path'
import type { Request } from 'autocannon'
import { HISTORY_DIR } from '../src/storage/layout.js'
import { fsyncLoop } from './fsync-loop.js'
import { load, WRITE_PATH } from './load.js'
import { payload, storedText } from './payloads.js'
import { WRITE_KEY, type RunningServer } from './processes.js'
import { percentile } from './stats.js'
import { row, type Row } from './table.js'

let written = 0

/** POSTs of the scraper's payload, each with its own number so none is a duplicate. */
export function writeRequests (): Request[] {
  return [{
    method: 'POST',
    path: WRITE_PATH,
    headers: { 'content-type': 'application/json', 'x-api-key': WRITE_KEY },
    setupRequest: (request) => ({ ...request, body: JSON.stringify(payload(++written)) })
  }]
}

export interface WriteSettings {
  runs: number
  seconds: number
  connections: number
  /** Writes of the single-client latency run. */
  singleWrites: number
}

export async function durableWriteFigures (service: RunningServer, dataDir: string, settings: WriteSettings): Promise<Row[]> {
  const folder = join(dataDir, HISTORY_DIR)
  const sample = storedText(payload(4747))
  const drive = (connections: number, options: { durationS?: number, amount?: number }): ReturnType<typeof load> =>
    load({ url: service.url, connections, ...options, requests: writeRequests(), expectStatus: 200 })
  await drive(settings.connections, { durationS: 1 })
  await fsyncLoop(folder, sample, 500)
  const throughput: number[] = []
  const loopThroughput: number[] = []
  const latency: number[] = []
  const loopCycle: number[] = []
  for (let run = 0; run < settings.runs; run++) {
    // The service is idle while the loop runs: both have the disk to themselves.
    const loop = await fsyncLoop(folder, sample, settings.seconds * 1000)
    loopThroughput.push(loop.opsPerSecond)
    loopCycle.push(loop.cycleMs)
    throughput.push((await drive(settings.connections, { durationS: settings.seconds })).requestsPerSecond)
    latency.push(percentile((await drive(1, { amount: settings.singleWrites })).latenciesMs, 50))
  }
  return [
    row({ figure: `durable write, req/s, ${settings.connections} concurrent clients`, unit: 'req/s', runs: throughput, baselineRuns: loopThroughput, compare: '>=', bound: 1.5, target: '≥ 1.5', note: 'baseline: sequential loop of (write temp file, fsync, rename, fsync dir), same payload, same folder' }),
    row({ figure: 'durable write latency, one client, median', unit: 'ms', runs: latency, baselineRuns: loopCycle, compare: '<=', bound: 1.5, target: '≤ 1.5' })
  ]
}

export interface RetainedSettings {
  runs: number
  /** Writes per run. */
  writes: number
  connections: number
}

export async function retainedWriteFigure (many: RunningServer, few: RunningServer, manyCount: number, fewCount: number, settings: RetainedSettings): Promise<Row[]> {
  const latencies = async (server: RunningServer): Promise<number[]> =>
    (await load({ url: server.url, connections: settings.connections, amount: settings.writes, requests: writeRequests(), expectStatus: 200 })).latenciesMs
  await latencies(many)
  await latencies(few)
  const manyRuns: number[][] = []
  const fewRuns: number[][] = []
  for (let run = 0; run < settings.runs; run++) {
    fewRuns.push(await latencies(few))
    manyRuns.push(await latencies(many))
  }
  const at = (runs: number[][], p: number): number[] => runs.map((sortedRun) => percentile(sortedRun, p))
  const note = `baseline: the same with ${fewCount} retained; ${settings.connections} clients, ${settings.writes} writes a run`
  const retained = manyCount.toLocaleString('en')
  return [
    row({ figure: `write median with ${retained} retained versions`, unit: 'ms', runs: at(manyRuns, 50), baselineRuns: at(fewRuns, 50), compare: '<=', bound: 1.25, target: '≤ 1.25', note }),
    row({ figure: `write p99 with ${retained} retained versions`, unit: 'ms', runs: at(manyRuns, 99), baselineRuns: at(fewRuns, 99), compare: '<=', bound: 1.25, target: '≤ 1.25' })
  ]
}
