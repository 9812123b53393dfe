// Requests Node's parser refuses before Fastify sees them (headers too large, a malformed request,
// a request that took too long) are answered in the contract's error envelope, with a request id.
import t from 'tap'
import { connect } from 'node:net'
import { PassThrough } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { build } from '../helper.js'

async function raw (port: number, text: string): Promise<string> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => { received += chunk })
    socket.on('close', () => resolve(received))
    socket.on('error', () => {})
    socket.end(text)
  })
}

const bodyOf = (answer: string): Record<string, unknown> => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>

t.test('431 and 400 from the parser come in the envelope', async (t) => {
  const app = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port

  const tooLarge = await raw(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(100_000)}\r\n\r\n`)
  t.match(tooLarge, /^HTTP\/1\.1 431 /)
  t.match(bodyOf(tooLarge), { success: false, statusCode: 431, errorCode: 'HEADERS_TOO_LARGE', requestId: String, timestamp: String })
  t.match(tooLarge, /\r\nx-request-id: /i)

  const malformed = await raw(port, 'GARBAGE\r\n\r\n')
  t.match(malformed, /^HTTP\/1\.1 400 /)
  t.match(bodyOf(malformed), { success: false, statusCode: 400, errorCode: 'MALFORMED_REQUEST', requestId: String })
})

t.test('408 for a request that took too long', async (t) => {
  const { answerClientError } = await import('../../src/api-error.js') as { answerClientError?: (error: Error & { code?: string }, socket: PassThrough) => void }
  t.type(answerClientError, 'function')
  if (answerClientError === undefined) return
  const socket = new PassThrough()
  let written = ''
  socket.on('data', (chunk: Buffer) => { written += chunk.toString() })
  answerClientError(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket)
  await new Promise((resolve) => setImmediate(resolve))
  t.match(written, /^HTTP\/1\.1 408 /)
  t.match(bodyOf(written), { success: false, statusCode: 408, errorCode: 'REQUEST_TIMEOUT' })
})
