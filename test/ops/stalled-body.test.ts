// A client that stops halfway through its body must not hold a restart (contract section 4): SIGTERM
// cuts it off before the close deadline and the process still exits 0.
import t from 'tap'
import { connect } from 'node:net'
import { tempDir } from '../helper.js'
import { startService, WRITE_KEY } from './lib.js'

t.test('a stalled request body is cut off at close; the exit status is 0', async (t) => {
  const service = await startService(t, { DATA_DIR: await tempDir(t) })
  const socket = connect(service.port, '127.0.0.1')
  socket.on('error', () => {})
  t.teardown(() => socket.destroy())
  socket.write('POST /api/claude/console-usage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    `Content-Length: 500\r\nX-API-Key: ${WRITE_KEY}\r\nX-Request-Id: stalled-body\r\n\r\n${'{'.padEnd(250, ' ')}`)
  await service.waitForLine(/"reqId":"stalled-body".*incoming request/)
  service.child.kill('SIGTERM')
  const exit = await service.exited
  t.same(exit, { code: 0, signal: null }, 'exit status 0')
  t.notMatch(service.output(), /close took too long/, 'the close did not run into its deadline')
  t.match(service.output(), /cut off/, 'the log says a client still sending was cut off')
})
