// Three service processes on one PostgreSQL database, as pm2 cluster mode or several hosts behind a
// load balancer run them (contract section 8): concurrent writes spread over them with one killed
// by `kill -9` in the middle; an event stream on one instance hearing writes made through another;
// clean-ups started on every instance at once.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from '../routes/sse-client.js'
import { startPostgres } from '../lib/postgres.js'
import { payload, send, WRITE_KEY } from './lib.js'
import { exported, idsOutOfReceiptOrder, newLoad, ROUTE, startInstances, writer, type Database } from './instances.js'
import { runCli } from './lib.js'
import { versionLines, ndjson } from '../cli/lib.js'

const server = await startPostgres(t)
const database = (schema: string): Database => ({ url: server.url, schema })

async function metadataOf (port: number): Promise<Record<string, unknown>> {
  const answer = await send(port, 'GET', `${ROUTE}/metadata`, { requestId: 'metadata' })
  if (answer.kind !== 'answered' || answer.status !== 200) throw new Error(`metadata on ${port}: ${JSON.stringify(answer)}`)
  return JSON.parse(answer.body) as Record<string, unknown>
}

/** An instance's statistics once they show `expected`, or as they are after 5 s (instances learn of others' changes by notification). */
async function settledMetadata (port: number, expected: Record<string, unknown>): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5000
  for (;;) {
    const metadata = await metadataOf(port)
    if (Object.entries(expected).every(([key, value]) => metadata[key] === value) || Date.now() > deadline) return metadata
    await sleep(100)
  }
}

t.test('writes over three instances, one killed -9: each acknowledged write once, ids in receipt order, exact statistics, events everywhere', async (t) => {
  const db = database('instances')
  const instances = await startInstances(t, 3, db, { RETENTION_MAX_VERSIONS: '1000000' })
  const [listener, , victim] = instances as [typeof instances[0], typeof instances[0], typeof instances[0]]
  let alive = instances.map((instance) => instance.port)

  // An event stream on the first instance; the writes go to all three.
  const stream = await connect(`http://127.0.0.1:${listener.port}${ROUTE}/events`)
  t.equal(stream.status, 200)
  const heardAt = new Map<string, number>()
  let listening = true
  const heard = (async () => {
    while (listening) {
      const event = await stream.next({ timeoutMs: 10_000 }).catch(() => null)
      if (event?.event === 'version' && event.id !== undefined) heardAt.set(event.id, Date.now())
    }
  })()

  const load = newLoad()
  let stop = false
  const workers = Array.from({ length: 6 }, (_, worker) => writer(() => alive, worker, load, () => stop))
  await sleep(1500)
  const beforeKill = load.acknowledged.length
  // Writes on their way to the victim as it dies: whatever became of them, none was acknowledged.
  // One that was answered 200 all the same counts as acknowledged, and is checked as the others are.
  const caught = [1, 2, 3].map(async (k) => {
    const n = 9_000_000 + k
    const sentAt = Date.now()
    const answer = await send(victim.port, 'POST', ROUTE, { body: JSON.stringify(payload(n)), requestId: `caught-${k}`, key: WRITE_KEY })
    if (answer.kind === 'answered' && answer.status === 200) {
      load.acknowledged.push({ n, id: (JSON.parse(answer.body) as { version: { id: string } }).version.id, sentAt, ackedAt: Date.now(), port: victim.port })
    }
    return answer
  })
  await sleep(5)
  victim.child.kill('SIGKILL')
  alive = alive.filter((port) => port !== victim.port)
  t.equal((await victim.exited).signal, 'SIGKILL', 'one instance killed -9 in the middle of the writes')
  await sleep(1500)
  stop = true
  await Promise.all(workers)
  const fates = (await Promise.all(caught)).map((answer) => answer.kind === 'answered' ? String(answer.status) : answer.code)
  t.ok(beforeKill > 0 && load.acknowledged.length > beforeKill, `writes acknowledged before (${beforeKill}) and after the kill (${load.acknowledged.length} in all; retried: ${JSON.stringify(Object.fromEntries(load.failures))}; writes sent to it as it was killed: ${fates.join(', ')})`)

  const versions = await exported(t, db)
  const ids = versions.map((version) => version.id)
  const counts = new Map<string, number>()
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
  const notOnce = load.acknowledged.filter((write) => counts.get(write.id) !== 1).map((write) => write.id)
  t.same(notOnce, [], 'every acknowledged write is in the database exactly once')
  t.equal(new Set(load.acknowledged.map((write) => write.id)).size, load.acknowledged.length, 'no id was given twice')
  t.same(ids, [...ids].sort(), 'the export lists ids in order')
  const receipts = versions.map((version) => Date.parse(version.receivedAt))
  t.ok(receipts.every((time, k) => k === 0 || time >= (receipts[k - 1] as number)), 'receipt times rise with the ids')
  t.same(idsOutOfReceiptOrder(load.acknowledged), [], 'a write acknowledged before another was sent has the smaller id, whichever instances took them')
  const byId = new Map(versions.map((version) => [version.id, version]))
  const wrongPayload = load.acknowledged.filter((write) => (byId.get(write.id)?.payload.currentSession as { percentageUsed?: number } | undefined)?.percentageUsed !== write.n % 101)
  t.same(wrongPayload, [], 'each id holds the payload it acknowledged')

  for (const port of alive) {
    // A survivor's statistics come from the database: every version counted, the killed one's too.
    const expected = { versionCount: versions.length, totalVersionsCreated: versions.length, totalVersionsDeleted: 0, newestId: ids[ids.length - 1] }
    t.match(await settledMetadata(port, expected), expected, `statistics exact on the instance of port ${port}`)
  }

  // Every version written through the other instances reached the stream on the first.
  const deadline = Date.now() + 10_000
  while (load.acknowledged.some((write) => !heardAt.has(write.id)) && Date.now() < deadline) await sleep(100)
  listening = false
  stream.close()
  await heard
  const unheard = load.acknowledged.filter((write) => !heardAt.has(write.id)).map((write) => write.id)
  t.same(unheard, [], 'the stream on one instance carried every version, whichever instance stored it')
  const delays = load.acknowledged.filter((write) => write.port !== listener.port && heardAt.has(write.id))
    .map((write) => Math.max(0, (heardAt.get(write.id) as number) - write.ackedAt)).sort((a, b) => a - b)
  const at = (q: number): number => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? 0
  t.ok(delays.length > 0, `writes through other instances reached this one's stream after their acknowledgement in: median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms (contract: within 1 s; ${delays.length} writes)`)
})

t.test('clean-ups on all instances at once delete and count each version once', async (t) => {
  const db = database('cleanups')
  // 60 versions from the first days of 2026, imported as an operator would; kept: the newest 5.
  const imported = await runCli(['import', '-', '--database-url', db.url], { env: { DATABASE_SCHEMA: db.schema }, input: ndjson(versionLines(60)) })
  t.equal(imported.code, 0, `imported: ${imported.stdout}${imported.stderr}`)
  const instances = await startInstances(t, 3, db, { RETENTION_MAX_VERSIONS: '5', RETENTION_DAYS: '1' })
  const answers = await Promise.all(instances.flatMap((instance) => [0, 1].map((k) =>
    send(instance.port, 'POST', `${ROUTE}/cleanup`, { requestId: `cleanup-${instance.port}-${k}`, key: WRITE_KEY }))))
  const deleted = answers.map((answer) => {
    if (answer.kind !== 'answered' || answer.status !== 200) throw new Error(`cleanup: ${JSON.stringify(answer)}`)
    return (JSON.parse(answer.body) as { deleted: number }).deleted
  })
  t.equal(deleted.reduce((sum, n) => sum + n, 0), 55, `the deletions reported add up to 55 (${deleted.join(' + ')})`)
  const left = await exported(t, db)
  t.same(left.map((version) => version.id), versionLines(60).slice(55).map((line) => line.id), 'the newest five are left')
  // Each instance learns of the deletions, and the statistics count each once.
  for (const instance of instances) {
    const expected = { versionCount: 5, totalVersionsCreated: 60, totalVersionsDeleted: 55 }
    t.match(await settledMetadata(instance.port, expected), expected, `statistics on port ${instance.port}`)
  }
})
