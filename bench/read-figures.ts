// The read figures: the latest version, and its conditional read (If-None-Match, 304), each
// against the bare Fastify route serving the same JSON object, runs interleaved so a drift of the
// machine touches all three alike.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { load, READ_PATH } from './load.js'
import { startBareServer, type RunningServer } from './processes.js'
import { row, type Row } from './table.js'

export interface ReadSettings {
  runs: number
  seconds: number
  connections: number
}

export async function readFigures (service: RunningServer, scratch: string, settings: ReadSettings): Promise<Row[]> {
  const first = await fetch(`${service.url}${READ_PATH}`)
  if (first.status !== 200) throw new Error(`GET ${READ_PATH} answered ${first.status}`)
  const etag = first.headers.get('etag')
  if (etag === null) throw new Error(`GET ${READ_PATH} sent no ETag`)
  const bodyFile = join(scratch, 'bare-body.json')
  await writeFile(bodyFile, await first.text())
  const bare = await startBareServer(bodyFile)
  try {
    const drive = async (server: RunningServer, headers: Record<string, string>, status: number, seconds: number): Promise<number> =>
      (await load({ url: server.url, connections: settings.connections, durationS: seconds, requests: [{ method: 'GET', path: READ_PATH, headers }], expectStatus: status })).requestsPerSecond
    const kinds: Array<{ server: RunningServer, headers: Record<string, string>, status: number }> = [
      { server: bare, headers: {}, status: 200 },
      { server: service, headers: {}, status: 200 },
      { server: service, headers: { 'if-none-match': etag }, status: 304 }
    ]
    // Warm-up: the JIT and the connection pools, not measured.
    for (const kind of kinds) await drive(kind.server, kind.headers, kind.status, 1)
    const runs: number[][] = [[], [], []]
    for (let run = 0; run < settings.runs; run++) {
      for (const [index, kind] of kinds.entries()) runs[index]?.push(await drive(kind.server, kind.headers, kind.status, settings.seconds))
    }
    const [bareRuns, latestRuns, conditionalRuns] = runs as [number[], number[], number[]]
    return [
      row({ figure: `latest read, req/s, ${settings.connections} connections`, unit: 'req/s', runs: latestRuns, baselineRuns: bareRuns, compare: '>=', bound: 0.8, target: '≥ 0.8', note: 'baseline: bare Fastify route, same JSON object from memory' }),
      row({ figure: 'conditional read (If-None-Match, 304), req/s', unit: 'req/s', runs: conditionalRuns, baselineRuns: bareRuns, compare: '>=', bound: 1.0, target: '≥ 1.0' })
    ]
  } finally {
    await bare.stop()
  }
}
