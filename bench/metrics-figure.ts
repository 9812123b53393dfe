// The cost of metrics on the hottest route: latest reads from the service with metrics on (the HTTP
// histogram's hooks on every request, and /metrics scraped once a second as Prometheus would) against
// the same service with METRICS_ENABLED=false, on copies of one folder, runs interleaved.
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

export async function metricsFigure (root: string, settings: MetricsSettings): Promise<Row> {
  const folders = [join(root, 'metrics-on'), join(root, 'metrics-off')]
  for (const folder of folders) await writeFolder(folder, { versions: settings.versions, newestAt: settings.newestAt, style: 'store' })
  const on = await startService({ dataDir: folders[0] as string })
  const off = await startService({ dataDir: folders[1] as string, env: { METRICS_ENABLED: 'false' } })
  const scraper = setInterval(() => { void fetch(`${on.url}/metrics`).then((answer) => answer.arrayBuffer()).catch(() => {}) }, 1_000)
  try {
    const drive = async (server: RunningServer, seconds: number): Promise<number> =>
      (await load({ url: server.url, connections: settings.connections, durationS: seconds, requests: [{ method: 'GET', path: READ_PATH }], expectStatus: 200 })).requestsPerSecond
    for (const server of [off, on]) await drive(server, 1)
    const withRuns: number[] = []
    const withoutRuns: number[] = []
    for (let run = 0; run < settings.runs; run++) {
      withoutRuns.push(await drive(off, settings.seconds))
      withRuns.push(await drive(on, settings.seconds))
    }
    return row({
      figure: `latest read with metrics on, req/s, ${settings.connections} connections`,
      unit: 'req/s',
      runs: withRuns,
      baselineRuns: withoutRuns,
      compare: '>=',
      bound: 0.95,
      target: '≥ 0.95',
      note: 'baseline: the same service with METRICS_ENABLED=false; /metrics scraped every second meanwhile'
    })
  } finally {
    clearInterval(scraper)
    await Promise.all([on.stop(), off.stop()])
  }
}
