// The read figures: the latest version, and its conditional read (If-None-Match, 304), each
// against the bare Fastify route serving the same JSON object, runs interleaved so a drift of the
// machine touches all three alike.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { load, READ_PATH } from './load.js'
import { LADDER } from './ladder-server-steps.js'
import { startBareServer, startLadderServer, type RunningServer } from './processes.js'
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
    const ladder = await ladderRows(bodyFile, bare, service, etag, settings)
    return [
      row({ figure: `latest read, req/s, ${settings.connections} connections`, unit: 'req/s', runs: latestRuns, baselineRuns: bareRuns, compare: '>=', bound: 0.8, target: '≥ 0.8', note: 'baseline: bare Fastify route, same JSON object from memory' }),
      row({ figure: 'conditional read (If-None-Match, 304), req/s', unit: 'req/s', runs: conditionalRuns, baselineRuns: bareRuns, compare: '>=', bound: 1.0, target: '≥ 1.0' }),
      ...ladder
    ]
  } finally {
    await bare.stop()
  }
}

/** A read load on `server`, and the server's CPU time per answer, in microseconds. */
async function cpuPerRead (server: RunningServer, headers: Record<string, string>, status: number, seconds: number, connections: number): Promise<number> {
  const before = await server.cpuMs()
  const result = await load({ url: server.url, connections, durationS: seconds, requests: [{ method: 'GET', path: READ_PATH, headers }], expectStatus: status })
  const used = await server.cpuMs() - before
  return (used * 1000) / Math.max(1, result.latenciesMs.length)
}

/**
 * What each per-request part of the service costs a read: the bare route with the service's parts
 * added one at a time (bench/ladder-server.ts), each against the bare route, as server CPU time per
 * answer (on a shared machine a rate swings with the neighbours' load; CPU time per answer far less).
 * The last rows are the service itself. No target: these rows explain the latest-read ratio.
 */
async function ladderRows (bodyFile: string, bare: RunningServer, service: RunningServer, etag: string, settings: ReadSettings): Promise<Row[]> {
  const seconds = Math.max(2, Math.round(settings.seconds / 2))
  const measure = (server: RunningServer, headers: Record<string, string> = {}, status = 200): Promise<number> => cpuPerRead(server, headers, status, seconds, settings.connections)
  const rows: Row[] = []
  const ladderRow = async (label: string, server: RunningServer, headers: Record<string, string> = {}, status = 200): Promise<void> => {
    const stepRuns: number[] = []
    const bareRuns: number[] = []
    for (let run = 0; run < settings.runs; run++) {
      bareRuns.push(await measure(bare))
      stepRuns.push(await measure(server, headers, status))
    }
    rows.push(row({
      figure: `  read ladder, CPU per answer: ${label}`,
      unit: 'µs',
      runs: stepRuns,
      baselineRuns: bareRuns,
      compare: '<=',
      bound: Number.POSITIVE_INFINITY,
      target: '(explains)',
      ...(rows.length === 0 ? { note: 'server CPU time per answer against the bare route\'s; each ladder row adds one of the service\'s per-request parts to the bare route (bench/ladder-server.ts): the rise from one row to the next is that part\'s cost' } : {})
    }))
  }
  for (const [index, part] of LADDER.entries()) {
    const server = await startLadderServer(bodyFile, index + 1)
    try {
      await measure(server)
      await ladderRow(`${index === 0 ? '' : '+ '}${part}`, server)
    } finally {
      await server.stop()
    }
  }
  await ladderRow('the service, latest read', service)
  await ladderRow('the service, 304 read', service, { 'if-none-match': etag }, 304)
  return rows
}
