import { connect, type Socket } from 'node:net'
import t from 'tap'
import { build } from '../helper.js'

const open = (port: number): Promise<Socket> => new Promise((resolve, reject) => {
  const socket = connect(port, '127.0.0.1', () => resolve(socket))
  socket.once('error', reject)
})

t.test('close does not wait on a connection that never sent a request', { timeout: 10_000 }, async (t) => {
  const app = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const silent = await open(port)
  const closedByServer = new Promise<void>((resolve) => silent.once('close', () => resolve()))
  // Without the drain plugin this waits for the 30 s connection timeout and the test times out.
  await app.close()
  await closedByServer
  t.pass('the server closed the silent connection and finished closing')
})
