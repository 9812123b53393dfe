// Event streams cannot use up the service's file descriptors (contract section 6): with `ulimit -n 128`,
// 150 clients asking for /events (and keeping their connections) get at most 10 streams from one
// address; the others are answered 503 and their connections closed, so /health and writes go on.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { payloadFor } from './fixtures/payloads.mjs'
import { post, request, USAGE } from './lib/http.js'
import { missingBuild } from './lib/paths.js'
import { startService } from './lib/processes.js'

const run = promisify(execFile)

const skip = missingBuild()
const STREAMS = 150

/** A client that asks for the stream and never lets go of its connection; resolves with the status line. */
function hold (port: number, sockets: Socket[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    sockets.push(socket)
    let received = ''
    socket.setEncoding('utf8')
    // A connection the service cannot accept (no descriptor left) waits in the backlog unanswered.
    setTimeout(() => resolve(received === '' ? 'no answer within 5 s' : received), 5000).unref()
    socket.on('data', (chunk: string) => {
      received += chunk
      if (received.includes('\r\n')) resolve(received.slice(0, received.indexOf('\r\n')))
    })
    socket.on('error', () => resolve(received === '' ? 'connection error' : received))
    socket.on('close', () => resolve(received === '' ? 'closed without an answer' : received.slice(0, received.indexOf('\r\n'))))
    socket.write(`GET ${USAGE}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`)
  })
}

t.test(`${STREAMS} event streams under ulimit -n 128: at most 10 from one address, /health and writes still answered`, { skip: skip ?? false }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-streams-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const service = await startService(dataDir)
  t.teardown(() => service.stop())
  // Lowered once the service listens: loading its modules under 128 descriptors can itself fail
  // (the test runner's loader hooks open many files at once), which is not what this test is about.
  await run('prlimit', [`--pid=${await service.pid()}`, '--nofile=128:128'])
  const port = Number(new URL(service.url).port)
  const sockets: Socket[] = []
  t.teardown(() => { for (const socket of sockets) socket.destroy() })
  const statuses = await Promise.all(Array.from({ length: STREAMS }, () => hold(port, sockets)))
  const opened = statuses.filter((status) => / 200 /.test(status)).length
  const refused = statuses.filter((status) => / 503 /.test(status)).length
  // Connections beyond the descriptors left are closed or reset by Node at once (libuv's EMFILE
  // fallback) when many arrive together, before the service could answer them: refused too. What
  // must never happen is a connection held without an answer.
  const cutAtOnce = statuses.filter((status) => status === 'closed without an answer' || status === 'connection error').length
  t.equal(opened, 10, '10 streams opened')
  t.ok(refused > 0, `some are answered 503 (${refused})`)
  t.equal(refused + cutAtOnce, STREAMS - 10, `the others are refused: 503, or cut at once (${statuses.filter((status) => !/ (200|503) /.test(status)).slice(0, 3).join('; ')})`)
  t.equal((await request(service, '/health')).status, 200, '/health answers')
  t.equal((await post(service, payloadFor(1))).status, 200, 'a write is stored')
  t.equal((await request(service, USAGE)).status, 200, 'a read is answered')
})
