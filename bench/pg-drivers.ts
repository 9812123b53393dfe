// Which PostgreSQL driver the store uses, measured on the store's own workload: `pg` (node-postgres)
// against `postgres` (postgres.js), on a throw-away server started here. postgres.js won (it sends
// the queries of concurrent clients without waiting for each answer: about twice the commits per
// second at 32 clients, the rest even), so only it is a dependency of the service; `pg` stays a
// development dependency, for this script and the tests' direct queries. Not part of `npm run bench`
// (the choice is made; this is how it was made, and how to check it again):
//
//   npm run build --silent && node dist/bench/pg-drivers.js
//
//   single-row commit   one INSERT in its own transaction, one after another (the baseline of the
//                       store's write figures)
//   32 concurrent       32 clients each doing such commits through one pool of 10 connections
//   store transaction   what one group commit sends: BEGIN, a row lock, an INSERT, two UPDATEs and a
//                       NOTIFY, COMMIT
//   notify latency      from a NOTIFY's commit to its arrival at a listening connection
import pg from 'pg'
import postgres from 'postgres'
import { startPostgresServer } from './embedded-postgres.js'

const COMMITS = Number(process.env.BENCH_COMMITS ?? 400)
const CONCURRENCY = 32
const POOL = 10
const NOTIFIES = 200
const BODY = JSON.stringify({ lastUpdated: new Date().toISOString(), weeklyLimits: { allModels: { percentageUsed: 42, resetsIn: 'Thu 7:00 AM' } }, pad: 'x'.repeat(1500) })

interface Driver {
  name: string
  insert: () => Promise<void>
  storeTransaction: () => Promise<void>
  /** Resolves with the milliseconds one notification took to arrive. */
  notifyLatency: () => Promise<number>
  close: () => Promise<void>
}

const SETUP = `
  DROP TABLE IF EXISTS bench_rows, bench_head;
  CREATE TABLE bench_rows (id bigserial PRIMARY KEY, body text NOT NULL);
  CREATE TABLE bench_head (one boolean PRIMARY KEY, last bigint NOT NULL, count bigint NOT NULL);
  INSERT INTO bench_head VALUES (true, 0, 0);`

async function nodePostgres (url: string): Promise<Driver> {
  const pool = new pg.Pool({ connectionString: url, max: POOL })
  const listener = new pg.Client({ connectionString: url })
  await listener.connect()
  await listener.query('LISTEN bench')
  let arrived: ((token: string) => void) | null = null
  listener.on('notification', (message) => arrived?.(message.payload ?? ''))
  return {
    name: 'pg 8.23.1',
    insert: async () => { await pool.query('INSERT INTO bench_rows (body) VALUES ($1)', [BODY]) },
    storeTransaction: async () => {
      const client = await pool.connect()
      try {
        // Statements without parameters go together as one simple query: one round trip.
        await client.query('BEGIN; SELECT last FROM bench_head WHERE one FOR UPDATE')
        await client.query(`WITH added AS (INSERT INTO bench_rows (body) VALUES ($1) RETURNING id),
          head AS (UPDATE bench_head SET last = (SELECT id FROM added), count = count + 1 WHERE one)
          SELECT pg_notify('bench_store', (SELECT id FROM added)::text)`, [BODY])
        await client.query('COMMIT')
      } finally {
        client.release()
      }
    },
    notifyLatency: async () => await timeToArrive((token) => pool.query(`NOTIFY bench, '${token}'`), (wait) => { arrived = wait }),
    close: async () => { await Promise.all([pool.end(), listener.end()]) }
  }
}

async function postgresJs (url: string): Promise<Driver> {
  const sql = postgres(url, { max: POOL, onnotice: () => {} })
  let arrived: ((token: string) => void) | null = null
  await sql.listen('bench', (token) => arrived?.(token))
  return {
    name: 'postgres 3.4.9',
    insert: async () => { await sql`INSERT INTO bench_rows (body) VALUES (${BODY})` },
    storeTransaction: async () => {
      await sql.begin(async (tx) => {
        await tx`SELECT last FROM bench_head WHERE one FOR UPDATE`
        await tx`WITH added AS (INSERT INTO bench_rows (body) VALUES (${BODY}) RETURNING id),
          head AS (UPDATE bench_head SET last = (SELECT id FROM added), count = count + 1 WHERE one)
          SELECT pg_notify('bench_store', (SELECT id FROM added)::text)`
      })
    },
    notifyLatency: async () => await timeToArrive((token) => sql.notify('bench', token), (wait) => { arrived = wait }),
    close: async () => { await sql.end({ timeout: 5 }) }
  }
}

let tokens = 0
/** Milliseconds from sending a notification to its arrival (its own: the token tells it from any other). */
async function timeToArrive (send: (token: string) => Promise<unknown>, onArrival: (wait: (token: string) => void) => void): Promise<number> {
  const token = String(++tokens)
  return await new Promise<number>((resolve, reject) => {
    const sent = performance.now()
    onArrival((arrived) => { if (arrived === token) resolve(performance.now() - sent) })
    send(token).catch(reject)
  })
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

async function sequential (count: number, task: () => Promise<void>): Promise<number[]> {
  const times: number[] = []
  for (let index = 0; index < count; index++) {
    const started = performance.now()
    await task()
    times.push(performance.now() - started)
  }
  return times
}

/** Commits per second with `clients` running `task` back to back until `total` are done. */
async function rate (total: number, clients: number, task: () => Promise<void>): Promise<number> {
  let left = total
  const started = performance.now()
  await Promise.all(Array.from({ length: clients }, async () => {
    while (left-- > 0) await task()
  }))
  return total / ((performance.now() - started) / 1000)
}

async function measure (driver: Driver): Promise<Record<string, string>> {
  await sequential(50, driver.insert)
  const insert = median(await sequential(COMMITS, driver.insert))
  const concurrent = await rate(COMMITS * 2, CONCURRENCY, driver.insert)
  const transaction = median(await sequential(COMMITS, driver.storeTransaction))
  const latencies: number[] = []
  for (let index = 0; index < NOTIFIES; index++) latencies.push(await driver.notifyLatency())
  const notify = median(latencies)
  return {
    driver: driver.name,
    'single-row commit (median ms)': insert.toFixed(3),
    '32 concurrent (commits/s)': concurrent.toFixed(0),
    'store transaction (median ms)': transaction.toFixed(3),
    'notify latency (median ms)': notify.toFixed(3)
  }
}

async function main (): Promise<void> {
  const server = await startPostgresServer()
  try {
    const setup = new pg.Client({ connectionString: server.url })
    await setup.connect()
    await setup.query(SETUP)
    await setup.end()
    const rows: Array<Record<string, string>> = []
    // Twice each, alternating, so that neither gains from going second on a warmer server.
    for (const round of [1, 2]) {
      for (const open of [nodePostgres, postgresJs]) {
        const driver = await open(server.url)
        try {
          rows.push({ round: String(round), ...await measure(driver) })
        } finally {
          await driver.close()
        }
      }
    }
    console.table(rows)
  } finally {
    await server.stop()
  }
}

await main()
