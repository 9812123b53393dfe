// Several service processes on one PostgreSQL database, for the multi-instance tests: each a real
// `node dist/src/server.js` with DATABASE_URL, on a port of its own, as pm2 cluster mode or several
// hosts behind a load balancer run them. Also what those tests read back: the history as
// `usage-vault export --database-url` gives it, read afresh from the database.
import type { Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { payload, runCli, send, startService, WRITE_KEY, type RunningProcess } from './lib.js'

export const ROUTE = '/api/claude/console-usage'

export type Instance = RunningProcess & { port: number }

export interface Database {
  url: string
  schema: string
}

export const databaseEnv = (db: Database): Record<string, string> => ({ DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema })

/** `count` instances on one database, started together; resolves once every one listens. */
export async function startInstances (t: Test, count: number, db: Database, env: Record<string, string> = {}): Promise<Instance[]> {
  // The first creates the schema (migrations under an advisory lock); the others start at once and wait for it.
  return await Promise.all(Array.from({ length: count }, async () =>
    await startService(t, { ...databaseEnv(db), ...env })))
}

export interface ExportedVersion {
  id: string
  receivedAt: string
  payload: Record<string, unknown>
}

/** Every version the database holds, oldest first, through the command line. */
export async function exported (t: Test, db: Database): Promise<ExportedVersion[]> {
  const result = await runCli(['export', '--database-url', db.url], { env: { DATABASE_SCHEMA: db.schema } })
  t.equal(result.code, 0, `export: ${result.stderr}`)
  return result.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ExportedVersion)
}

export interface Write {
  n: number
  id: string
  /** When the request was sent and when its 200 came back (ms since the epoch). */
  sentAt: number
  ackedAt: number
  port: number
}

export interface Load {
  acknowledged: Write[]
  /** Answers other than 200 and network errors, by kind. */
  failures: Map<string, number>
}

export const newLoad = (): Load => ({ acknowledged: [], failures: new Map() })

/**
 * A client that stores distinct payloads one after another until `stopped()`, each to the next
 * port in turn (a load balancer's round robin); a network error or a 5xx is retried on the next
 * port, as the scraper retries behind a load balancer that skips a dead backend.
 */
export async function writer (ports: () => number[], worker: number, load: Load, stopped: () => boolean): Promise<void> {
  let turn = worker
  for (let n = 0; !stopped(); n++) {
    const number = worker * 1_000_000 + n
    const body = JSON.stringify(payload(number))
    for (let attempt = 0; ; attempt++) {
      const live = ports()
      const port = live[turn++ % live.length] as number
      const sentAt = Date.now()
      const answer = await send(port, 'POST', ROUTE, { body, requestId: `w${worker}-${n}-${attempt}`, key: WRITE_KEY })
      if (answer.kind === 'answered' && answer.status === 200) {
        const { version } = JSON.parse(answer.body) as { version: { id: string } }
        load.acknowledged.push({ n: number, id: version.id, sentAt, ackedAt: Date.now(), port })
        break
      }
      const kind = answer.kind === 'answered' ? String(answer.status) : answer.code
      load.failures.set(kind, (load.failures.get(kind) ?? 0) + 1)
      if (answer.kind === 'answered' && answer.status < 500) throw new Error(`refused: ${answer.status} ${answer.body}`)
      if (stopped()) break
      await sleep(20)
    }
  }
}

/**
 * Pairs of acknowledged writes where one was acknowledged before the other was sent, yet got the
 * greater id: what "a new id is greater than every id any instance gave before it" forbids.
 */
export function idsOutOfReceiptOrder (writes: readonly Write[]): Array<[Write, Write]> {
  const bySent = [...writes].sort((a, b) => a.sentAt - b.sentAt)
  const byAcked = [...writes].sort((a, b) => a.ackedAt - b.ackedAt)
  const wrong: Array<[Write, Write]> = []
  let greatest: Write | null = null
  let k = 0
  for (const later of bySent) {
    // Every write acknowledged strictly before `later` was sent.
    while (k < byAcked.length && (byAcked[k] as Write).ackedAt < later.sentAt) {
      const earlier = byAcked[k++] as Write
      if (greatest === null || earlier.id > greatest.id) greatest = earlier
    }
    if (greatest !== null && later.id <= greatest.id) wrong.push([greatest, later])
  }
  return wrong
}
