// The database goes away under a running service (contract section 8): PostgreSQL stopped with an
// immediate shutdown while writes run. Nothing acknowledged is lost; writes answer 503 within 10 s,
// never hang; /health answers 503; once the server is back, writes work again without a restart.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { startPostgres } from '../lib/postgres.js'
import { send, WRITE_KEY, payload } from './lib.js'
import { exported, newLoad, ROUTE, startInstances, writer } from './instances.js'

/** Longest a write may take to be answered while the database is down (the contract's 10 s, and slack for a loaded machine). */
const ANSWER_BOUND_MS = 12_000

t.test('the database stopped hard during writes: 503 without a hang, /health 503, back without a restart, nothing acknowledged lost', async (t) => {
  const server = await startPostgres(t)
  const db = { url: server.url, schema: 'faults' }
  const instances = await startInstances(t, 2, db, { RETENTION_MAX_VERSIONS: '1000000' })
  const ports = instances.map((instance) => instance.port)

  const load = newLoad()
  let stop = false
  const workers = Array.from({ length: 4 }, (_, worker) => writer(() => ports, worker, load, () => stop))
  await sleep(1000)
  await server.stopHard()
  const acknowledgedBefore = load.acknowledged.length

  // While it is down: each write is answered, 503 STORAGE_UNAVAILABLE with Retry-After, in bounded time.
  const durations: number[] = []
  for (let n = 0; n < 4; n++) {
    const port = ports[n % ports.length] as number
    const started = Date.now()
    const answer = await Promise.race([
      send(port, 'POST', ROUTE, { body: JSON.stringify(payload(5_000_000 + n)), requestId: `down-${n}`, key: WRITE_KEY }),
      sleep(ANSWER_BOUND_MS + 20_000).then(() => ({ kind: 'hang' as const }))
    ])
    durations.push(Date.now() - started)
    t.match(answer, { kind: 'answered', status: 503 }, `a write while the database is down is answered 503 (port ${port})`)
    if (answer.kind === 'answered') t.match(JSON.parse(answer.body), { errorCode: 'STORAGE_UNAVAILABLE' })
  }
  t.ok(durations.every((ms) => ms < ANSWER_BOUND_MS), `answered in ${durations.join(', ')} ms (contract: within 10 s)`)
  for (const port of ports) {
    const health = await send(port, 'GET', '/health', { requestId: `health-down-${port}` })
    t.match(health, { kind: 'answered', status: 503 }, `/health on port ${port} says it cannot store`)
    const read = await send(port, 'GET', ROUTE, { requestId: `read-down-${port}` })
    t.match(read, { kind: 'answered', status: 200 }, 'reads of what is in memory go on')
  }

  for (const instance of instances) if (instance.child.exitCode !== null) t.comment(`instance died: ${instance.output().slice(-3000)}`)
  await server.start()
  // Back: the writers' retries get through, and /health recovers, in the same processes.
  const recovered = Date.now()
  while (load.acknowledged.length === acknowledgedBefore && Date.now() - recovered < 60_000) await sleep(100)
  await sleep(1000)
  stop = true
  await Promise.all(workers)
  t.ok(load.acknowledged.length > acknowledgedBefore, `writes acknowledged again after the restart of the database (${acknowledgedBefore} before, ${load.acknowledged.length} in all; failures: ${JSON.stringify(Object.fromEntries(load.failures))})`)
  for (const [k, instance] of instances.entries()) {
    t.equal(instance.child.exitCode, null, `instance ${k} was never restarted`)
    const health = await send(instance.port, 'GET', '/health', { requestId: `health-up-${k}` })
    t.match(health, { kind: 'answered', status: 200 }, `/health on instance ${k} is 200 again`)
  }

  const stored = new Set((await exported(t, db)).map((version) => version.id))
  t.same(load.acknowledged.filter((write) => !stored.has(write.id)).map((write) => write.id), [], 'every acknowledged write is in the database')
})
