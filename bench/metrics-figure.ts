// The cost of metrics on the hottest route: latest reads from the service with metrics on (the HTTP
// histogram's hook on every request, and /metrics scraped every 5 s, more often than Prometheus
// usually does) against the same service with METRICS_ENABLED=false, on copies of one folder, in
// short runs taken in turn. Two rows: requests per second, and the server's CPU time per request
// (from /proc), which a machine busy with other work disturbs far less than the rate.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFolder } from './folders.js'
import { load, READ_PATH } from './load.js'
import { startService, type RunningServer } from './processes.js'
import { row, type Row } from './table.js'

export interface MetricsSettings {
  runs: number
  seconds: number
  connections: number
  versions: number
  newestAt: number
}

/** CPU time the process has used so far (user and system), in clock ticks. */
async function cpuTicks (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

export async function metricsFigures (root: string, settings: MetricsSettings): Promise<Row[]> {
  const folders = [join(root, 'metrics-on'), join(root, 'metrics-off')]
  for (const folder of folders) await writeFolder(folder, { versions: settings.versions, newestAt: settings.newestAt, style: 'store' })
  const on = await startService({ dataDir: folders[0] as string })
  const off = await startService({ dataDir: folders[1] as string, env: { METRICS_ENABLED: 'false' } })
  const scraper = setInterval(() => { void fetch(`${on.url}/metrics`).then((answer) => answer.arrayBuffer()).catch(() => {}) }, 5_000)
  try {
    /** Requests per second, and CPU ticks per 10,000 requests. */
    const drive = async (server: RunningServer, seconds: number): Promise<[number, number]> => {
      const before = await cpuTicks(server.pid)
      const result = await load({ url: server.url, connections: settings.connections, durationS: seconds, requests: [{ method: 'GET', path: READ_PATH }], expectStatus: 200 })
      const ticks = await cpuTicks(server.pid) - before
      return [result.requestsPerSecond, (ticks / result.timeline.length) * 10_000]
    }
    for (const server of [off, on]) await drive(server, 1)
    const rate: number[][] = [[], []]
    const cpu: number[][] = [[], []]
    // Three short runs for each of the usual ones: a busy neighbour then disturbs fewer of them.
    for (let run = 0; run < settings.runs * 3; run++) {
      for (const [index, server] of [on, off].entries()) {
        const [perSecond, ticks] = await drive(server, settings.seconds)
        rate[index]?.push(perSecond)
        cpu[index]?.push(ticks)
      }
    }
    const note = 'baseline: the same service with METRICS_ENABLED=false; /metrics scraped every 5 s meanwhile'
    return [
      row({ figure: `latest read with metrics on, req/s, ${settings.connections} connections`, unit: 'req/s', runs: rate[0] as number[], baselineRuns: rate[1] as number[], compare: '>=', bound: 0.95, target: '≥ 0.95', note }),
      row({ figure: 'server CPU per 10,000 latest reads, metrics on', unit: 'ticks', runs: cpu[0] as number[], baselineRuns: cpu[1] as number[], compare: '<=', bound: 1 / 0.95, target: '≤ 1.053 (= 1/0.95)' })
    ]
  } finally {
    clearInterval(scraper)
    await Promise.all([on.stop(), off.stop()])
  }
}
