// Latest-read p99 while one clean-up deletes 10,000 versions, against the same read load idle.
// Each run builds a folder of old versions under a policy that keeps 100, so the first write after
// start sets off one clean-up that deletes 10,000; the p99 counts the reads answered from that
// write until the last file is gone.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { HISTORY_DIR, idOfVersionFile } from '../src/storage/layout.js'
import { writeFolder } from './folders.js'
import { load, READ_PATH, startLoad, WRITE_PATH } from './load.js'
import { payload } from './payloads.js'
import { startService, WRITE_KEY } from './processes.js'
import { percentile, sorted } from './stats.js'
import { row, type Row } from './table.js'

export interface RetentionSettings {
  runs: number
  deleted: number
  kept: number
  connections: number
  idleSeconds: number
}

const DAY_MS = 24 * 60 * 60 * 1000
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function versionFiles (dataDir: string): Promise<number> {
  return (await readdir(join(dataDir, HISTORY_DIR))).filter((name) => idOfVersionFile(name) !== null).length
}

export async function retentionFigure (dataDir: string, settings: RetentionSettings): Promise<Row> {
  const idle: number[] = []
  const busy: number[] = []
  const windows: number[] = []
  const readRequests = [{ method: 'GET', path: READ_PATH }]
  for (let run = 0; run < settings.runs; run++) {
    // All old enough to expire; with the one write below, exactly `deleted` go.
    await writeFolder(dataDir, { versions: settings.deleted + settings.kept - 1, newestAt: Date.now() - 30 * DAY_MS, stepMs: 60_000, style: 'store' })
    const service = await startService({ dataDir, retentionMaxVersions: settings.kept, retentionDays: 7 })
    try {
      await load({ url: service.url, connections: settings.connections, durationS: 1, requests: readRequests, expectStatus: 200 })
      idle.push(percentile((await load({ url: service.url, connections: settings.connections, durationS: settings.idleSeconds, requests: readRequests, expectStatus: 200 })).latenciesMs, 99))

      const reads = startLoad({ url: service.url, connections: settings.connections, durationS: 60, requests: readRequests, expectStatus: 200 })
      await sleep(300)
      const from = performance.now()
      const write = await fetch(`${service.url}${WRITE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': WRITE_KEY },
        body: JSON.stringify(payload(run + 1))
      })
      if (write.status !== 200) throw new Error(`the write that starts the clean-up answered ${write.status}: ${await write.text()}`)
      while (await versionFiles(dataDir) > settings.kept) {
        if (performance.now() - from > 50_000) throw new Error('the clean-up did not finish within 50 s')
        await sleep(20)
      }
      const to = performance.now()
      reads.stop()
      const result = await reads.done
      const during = result.timeline.filter(([at]) => at >= from && at <= to).map(([, latency]) => latency)
      if (during.length === 0) throw new Error('no read was answered while the clean-up ran')
      busy.push(percentile(sorted(during), 99))
      windows.push(to - from)
    } finally {
      await service.stop()
    }
  }
  return row({
    figure: `latest-read p99 while retention deletes ${settings.deleted.toLocaleString('en')} versions`,
    unit: 'ms',
    runs: busy,
    baselineRuns: idle,
    compare: '<=',
    bound: 2.0,
    target: '≤ 2.0',
    note: `baseline: latest-read p99 idle; ${settings.connections} connections; clean-up windows ${windows.map((ms) => ms.toFixed(0)).join(', ')} ms`
  })
}
