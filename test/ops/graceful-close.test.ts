// SIGTERM while writes and a retention clean-up are in flight (contract section 4, "Restarts lose
// nothing"): every request the service had received is answered, acknowledged versions are on
// disk, the clean-up finishes with statistics that agree with the folder, the lock is released,
// and the process exits 0.
import t from 'tap'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { payload, receivedRequestIds, runCli, send, startService, WRITE_KEY, type Answer } from './lib.js'

const ROUTE = '/api/claude/console-usage'
const OLD_VERSIONS = 2000

/** An export of old versions, so the first stored write starts a long clean-up. */
function oldVersionsExport (): string {
  const start = Date.UTC(2025, 0, 1)
  const lines: string[] = []
  for (let n = 0; n < OLD_VERSIONS; n++) {
    const at = start + n * 60_000
    const id = `${new Date(at).toISOString().slice(0, 19).replaceAll(':', '-')}-${n.toString(16).padStart(8, '0')}`
    lines.push(JSON.stringify({ id, receivedAt: new Date(at).toISOString(), payload: payload(n) }))
  }
  return `${lines.join('\n')}\n`
}

/** A POST whose headers are sent now and whose body only when `finish` is called. */
function slowPost (port: number, body: string, requestId: string): { finish: () => void, answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1')
  socket.write(`POST ${ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nX-API-Key: ${WRITE_KEY}\r\nX-Request-Id: ${requestId}\r\n\r\n` +
    body.slice(0, 10))
  let received = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => { received += chunk })
  const answer = new Promise<string>((resolve) => {
    // A whole JSON answer is enough; the connection is then ours to close.
    socket.on('data', () => { if (/\r\n\r\n\{.*\}$/s.test(received)) socket.end() })
    socket.on('close', () => resolve(received))
    socket.on('error', () => {})
  })
  // No half-close after the body: clients keep their side open for the answer.
  return { finish: () => socket.write(body.slice(10)), answer }
}

t.test('SIGTERM answers every received request, finishes the clean-up, releases the lock, exits 0', async (t) => {
  const dataDir = await tempDir(t)
  const exportFile = join(dataDir, '..', `${dataDir.split('/').pop() ?? 'x'}.ndjson`)
  await writeFile(exportFile, oldVersionsExport())
  t.teardown(() => import('node:fs/promises').then(({ rm }) => rm(exportFile, { force: true })))
  const seeded = await runCli(['import', exportFile, '--data-dir', dataDir])
  t.equal(seeded.code, 0, seeded.stderr)

  // Keep only the newest version: the first stored write makes the clean-up delete the rest.
  const service = await startService(t, { DATA_DIR: dataDir, RETENTION_MAX_VERSIONS: '1', RETENTION_DAYS: '0' })

  const first = await send(service.port, 'POST', ROUTE, { body: JSON.stringify(payload(100_000)), requestId: 'first', key: WRITE_KEY })
  t.equal(first.kind === 'answered' && first.status, 200, 'the first write is stored and starts the clean-up')

  const slow = slowPost(service.port, JSON.stringify(payload(100_001)), 'slow-body')
  const writes: Array<Promise<Answer>> = []
  for (let n = 0; n < 30; n++) {
    writes.push(send(service.port, 'POST', ROUTE, { body: JSON.stringify(payload(100_002 + n)), requestId: `write-${n}`, key: WRITE_KEY }))
  }
  await service.waitForLine(/"reqId":"slow-body".*incoming request/)
  service.child.kill('SIGTERM')
  await service.waitForLine(/"signal":"SIGTERM"/)
  // The rest of a body whose request was received before the signal.
  slow.finish()

  const answers = await Promise.all(writes)
  const slowAnswer = await slow.answer
  const exit = await service.exited

  t.same(exit, { code: 0, signal: null }, 'exit status 0')
  t.match(slowAnswer, /^HTTP\/1\.1 200 /, 'the request whose body was still arriving at the signal is answered and stored')
  const received = receivedRequestIds(service.lines)
  const unanswered = answers.filter((answer) => answer.kind === 'network' && received.has(answer.requestId))
  t.same(unanswered, [], 'no request the service received went unanswered')
  for (const answer of answers) {
    if (answer.kind === 'answered') t.ok([200, 503].includes(answer.status), `${answer.requestId}: ${answer.status}`)
    // Refused at the connection after the signal: the scraper retries these.
    else t.notOk(received.has(answer.requestId), `${answer.requestId}: ${answer.code} before it was received`)
  }
  t.match(service.output(), /"deleted":/, 'the clean-up ran')
  t.notOk(existsSync(join(dataDir, '.lock')), 'the lock is released')

  // Retention keeps one version: the newest acknowledged one.
  const bodies = [...answers.flatMap((answer) => answer.kind === 'answered' && answer.status === 200 ? [answer.body] : []), slowAnswer.split('\r\n\r\n')[1] ?? '{}']
  const newest = bodies.map((body) => (JSON.parse(body) as { version: { id: string } }).version.id).sort().at(-1)
  t.ok(existsSync(join(dataDir, 'console-usage-history', `${newest ?? 'none'}.json`)), 'the newest acknowledged version is on disk')

  const verify = await runCli(['verify', '--data-dir', dataDir])
  t.equal(verify.code, 0, `the folder verifies after the close: ${verify.stdout}${verify.stderr}`)
})

t.test('SIGTERM with a scraper agent listening and a refresh trigger waiting: both ended, exit 0', async (t) => {
  const service = await startService(t, { DATA_DIR: await tempDir(t) })
  const base = `http://127.0.0.1:${service.port}${ROUTE}`
  const stream = await fetch(`${base}/refresh-requests`, { headers: { 'x-api-key': WRITE_KEY } })
  t.equal(stream.status, 200, 'an agent stream is open')
  const streamText = stream.text()
  const trigger = send(service.port, 'POST', `${ROUTE}/trigger?wait=60`, { requestId: 'waiting-trigger', key: WRITE_KEY })
  await service.waitForLine(/"reqId":"waiting-trigger".*incoming request/)
  service.child.kill('SIGTERM')
  const answer = await trigger
  t.equal(answer.kind === 'answered' && answer.status, 503, 'the waiting trigger is answered 503')
  t.match(answer.kind === 'answered' ? answer.body : '', /SHUTTING_DOWN/)
  t.match(await streamText, /event: refresh/, 'the agent was asked, and its stream ended')
  // The service exits 1 when a close takes more than 10 s: 0 says the stream and the trigger did not hold it.
  t.same(await service.exited, { code: 0, signal: null }, 'exit status 0')
})
