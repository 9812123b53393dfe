// The PostgreSQL store's figures (`BENCH_ONLY=postgres`), each beside a baseline from the same run
// on the same throw-away server (bench/embedded-postgres.ts, fsync on):
//
//   write latency, 1 client    the service's POST, median, against one single-row INSERT commit of
//                              the same payload through the same driver (postgres.js), one after another
//   the floor                  the same POSTs to a bare Fastify route that stores each body with one
//                              such INSERT (bench/pg-floor-server.ts): what an HTTP round trip adds
//                              before the service does anything; against the INSERT loop, and as the
//                              baseline of the service's latency
//   the store's save           store.save in this process, one after another: the store's own write
//                              path (group commit, the one statement, the memory view) without HTTP
//   write rate, 32 clients     the service's POSTs per second against that sequential loop's commits per second
//   latest read                the service on the database against the service on a data folder
//                              holding the same versions: reads come from memory on both
//   start-up, 100,000 versions spawn to the first 200 of /health, the versions already in the database
import postgres from 'postgres'
import { join } from 'node:path'
import { writeFolder } from './folders.js'
import { startPostgresServer } from './embedded-postgres.js'
import { load, READ_PATH } from './load.js'
import { payload } from './payloads.js'
import { startPostgresFloorServer, startService, type RunningServer } from './processes.js'
import { percentile } from './stats.js'
import { row, type Row } from './table.js'
import { writeRequests } from './write-figures.js'
import { formatId } from '../src/storage/ids.js'
import { openStore, type ImportedVersion, type VersionStore } from '../src/storage/index.js'

export interface PostgresSettings {
  runs: number
  /** Versions in the database of the start-up figure. */
  versions: number
  seconds: number
  connections: number
  singleWrites: number
  readConnections: number
}

const KEEP_ALL = { retentionMaxVersions: 1_000_000, retentionDays: 36_500 }
const KEEP_ALL_STORE = { retention: { maxVersions: 1_000_000, days: 36_500 } }
/** A row that explains the one above it rather than meeting a target of its own. */
const EXPLAINS = { compare: '<=', bound: Number.POSITIVE_INFINITY, target: '(explains)' } as const
const quietLog = { info: () => {}, warn: () => {}, error: () => {} }

interface Loop {
  opsPerSecond: number
  /** Median milliseconds of one commit. */
  commitMs: number
}

/** Sequential single-row INSERT commits of the scraper's payload, through the store's driver, for `ms`. */
async function insertLoop (sql: postgres.Sql, ms: number): Promise<Loop> {
  const body = JSON.stringify(payload(4747))
  const times: number[] = []
  const started = performance.now()
  while (performance.now() - started < ms) {
    const before = performance.now()
    await sql`INSERT INTO bench_loop (payload) VALUES (${body})`
    times.push(performance.now() - before)
  }
  return { opsPerSecond: times.length / ((performance.now() - started) / 1000), commitMs: percentile(times.sort((a, b) => a - b), 50) }
}

/** Sequential saves through the store in this process, for `ms`; median milliseconds of one. */
async function saveLoop (store: VersionStore, ms: number, next: () => number): Promise<number> {
  const times: number[] = []
  const started = performance.now()
  while (performance.now() - started < ms) {
    const before = performance.now()
    await store.save(payload(next()))
    times.push(performance.now() - before)
  }
  return percentile(times.sort((a, b) => a - b), 50)
}

/** `count` versions five minutes apart, ending an hour ago, as an import gives them. */
function* versionsToImport (count: number): Generator<ImportedVersion> {
  const newestAt = Date.now() - 3_600_000
  for (let n = 0; n < count; n++) {
    const receivedAt = newestAt - (count - 1 - n) * 300_000
    yield { id: formatId(receivedAt, n), receivedAt, payload: payload(n) }
  }
}

export async function postgresFigures (scratch: string, settings: PostgresSettings, progress: (message: string) => void): Promise<Row[]> {
  const server = await startPostgresServer()
  const sql = postgres(server.url, { max: 1, onnotice: () => {} })
  const rows: Row[] = []
  try {
    await sql`CREATE TABLE bench_loop (id bigserial PRIMARY KEY, payload text NOT NULL)`
    const onDatabase = (schema: string): Record<string, string> => ({ DATABASE_URL: server.url, DATABASE_SCHEMA: schema })

    progress('postgres: writes')
    const service = await startService({ dataDir: join(scratch, 'pg-unused'), ...KEEP_ALL, env: onDatabase('writes') })
    const floor = await startPostgresFloorServer(server.url)
    const inProcess = await openStore({ dataDir: join(scratch, 'pg-unused'), databaseUrl: server.url, databaseSchema: 'in_process', ...KEEP_ALL_STORE, log: quietLog })
    try {
      const drive = (target: RunningServer, connections: number, options: { durationS?: number, amount?: number }): ReturnType<typeof load> =>
        load({ url: target.url, connections, ...options, requests: writeRequests(), expectStatus: 200 })
      const oneClient = async (target: RunningServer): Promise<number> =>
        percentile((await drive(target, 1, { amount: settings.singleWrites })).latenciesMs, 50)
      let saved = 0
      await drive(service, settings.connections, { durationS: 1 })
      await oneClient(floor)
      await saveLoop(inProcess, 500, () => ++saved)
      await insertLoop(sql, 500)
      const rate: number[] = []
      const loopRate: number[] = []
      const latency: number[] = []
      const loopLatency: number[] = []
      const floorLatency: number[] = []
      const saveLatency: number[] = []
      for (let run = 0; run < settings.runs; run++) {
        const loop = await insertLoop(sql, settings.seconds * 1000)
        loopRate.push(loop.opsPerSecond)
        loopLatency.push(loop.commitMs)
        rate.push((await drive(service, settings.connections, { durationS: settings.seconds })).requestsPerSecond)
        latency.push(await oneClient(service))
        floorLatency.push(await oneClient(floor))
        saveLatency.push(await saveLoop(inProcess, settings.seconds * 1000, () => ++saved))
      }
      const loopNote = 'baseline: sequential single-row INSERT commits of the same payload, postgres.js, same server'
      rows.push(
        row({ figure: 'PostgreSQL: write latency, one client, median', unit: 'ms', runs: latency, baselineRuns: loopLatency, compare: '<=', bound: 1.5, target: '≤ 1.5', note: loopNote }),
        row({ figure: '  floor: bare Fastify POST + one INSERT, one client', unit: 'ms', runs: floorLatency, baselineRuns: loopLatency, ...EXPLAINS, note: `${loopNote}; the figure is what one HTTP round trip adds to that commit, with nothing else done (bench/pg-floor-server.ts)` }),
        row({ figure: "  the store's save in process, median", unit: 'ms', runs: saveLatency, baselineRuns: loopLatency, ...EXPLAINS, note: `${loopNote}; the figure is store.save() called one after another in this process (no HTTP)` }),
        row({ figure: 'PostgreSQL: write latency, one client, over the floor', unit: 'ms', runs: latency, baselineRuns: floorLatency, compare: '<=', bound: 1.5, target: '≤ 1.5', note: 'baseline: the floor above; what the service does beyond one HTTP round trip and one INSERT commit' }),
        row({ figure: `PostgreSQL: write rate, ${settings.connections} concurrent clients`, unit: 'req/s', runs: rate, baselineRuns: loopRate, compare: '>=', bound: 1.5, target: '≥ 1.5', note: loopNote })
      )
    } finally {
      await Promise.all([service.stop(), floor.stop(), inProcess.close()])
    }

    progress('postgres: latest reads against the folder store')
    const folder = join(scratch, 'pg-reads-folder')
    await writeFolder(folder, { versions: 100, newestAt: Date.now() - 3_600_000, style: 'store' })
    const imported = await copyFolderInto(folder, onDatabase('reads'))
    progress(`postgres: ${imported} versions imported for the reads`)
    const onFolder = await startService({ dataDir: folder, ...KEEP_ALL })
    const onPostgres = await startService({ dataDir: join(scratch, 'pg-unused'), ...KEEP_ALL, env: onDatabase('reads') })
    try {
      const read = async (target: RunningServer, seconds: number): Promise<number> =>
        (await load({ url: target.url, connections: settings.readConnections, durationS: seconds, requests: [{ method: 'GET', path: READ_PATH }], expectStatus: 200 })).requestsPerSecond
      await read(onFolder, 1)
      await read(onPostgres, 1)
      const folderRuns: number[] = []
      const postgresRuns: number[] = []
      for (let run = 0; run < settings.runs; run++) {
        folderRuns.push(await read(onFolder, settings.seconds))
        postgresRuns.push(await read(onPostgres, settings.seconds))
      }
      rows.push(row({ figure: `PostgreSQL: latest read, req/s, ${settings.readConnections} connections`, unit: 'req/s', runs: postgresRuns, baselineRuns: folderRuns, compare: '>=', bound: 0.9, target: '≥ 0.9', note: 'baseline: the service on a data folder with the same 100 versions' }))
    } finally {
      await Promise.all([onFolder.stop(), onPostgres.stop()])
    }

    progress(`postgres: importing ${settings.versions} versions for the start-up`)
    const store = await openStore({ dataDir: join(scratch, 'pg-unused'), databaseUrl: server.url, databaseSchema: 'startup', ...KEEP_ALL_STORE, log: quietLog })
    try {
      await store.importVersions(versionsToImport(settings.versions))
    } finally {
      await store.close()
    }
    const ready: number[] = []
    for (let run = 0; run < settings.runs; run++) {
      const started = await startService({ dataDir: join(scratch, 'pg-unused'), ...KEEP_ALL, env: onDatabase('startup') })
      ready.push(started.readyMs / 1000)
      await started.stop()
    }
    const n = settings.versions.toLocaleString('en')
    rows.push(row({ figure: `PostgreSQL: start-up to ready, ${n} versions`, unit: 's', runs: ready, compare: '<=', bound: 2, target: '≤ 2 s', note: 'spawn to the first 200 of /health; the versions in the database' }))
  } finally {
    await sql.end()
    await server.stop()
  }
  return rows
}

/** The versions of `folder` into the database through the store (as `usage-vault import FOLDER --database-url` does). */
async function copyFolderInto (folder: string, env: Record<string, string>): Promise<number> {
  const source = await openStore({ dataDir: folder, ...KEEP_ALL_STORE, log: quietLog, readOnly: true })
  const versions: ImportedVersion[] = []
  try {
    for (const meta of source.list()) {
      const version = await source.get(meta.id)
      if (version !== null) versions.push({ id: meta.id, receivedAt: meta.receivedAt, payload: version.payload })
    }
  } finally {
    await source.close()
  }
  const target = await openStore({ dataDir: folder, databaseUrl: env.DATABASE_URL, databaseSchema: env.DATABASE_SCHEMA, ...KEEP_ALL_STORE, log: quietLog })
  try {
    return (await target.importVersions(versions)).imported
  } finally {
    await target.close()
  }
}
