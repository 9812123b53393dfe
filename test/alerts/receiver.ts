// A real HTTP receiver for alert tests, on a free loopback port: it records every request (headers,
// body, the status it answered) and answers as the test tells it, e.g. refusing the first attempts.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface Received {
  headers: IncomingHttpHeaders
  body: string
  status: number
}

export interface Receiver {
  url: string
  requests: Received[]
  /** The status to answer a request with; by default 200. */
  answer: (request: { headers: IncomingHttpHeaders, body: string, attempt: number }) => number
  /** The JSON bodies of the requests answered 2xx. */
  delivered: () => Array<Record<string, unknown>>
  /** Polls until `check` holds (or fails the wait after `timeoutMs`). */
  until: (check: () => boolean, what: string, timeoutMs?: number) => Promise<void>
  close: () => Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export async function startReceiver (t: Test): Promise<Receiver> {
  const attempts = new Map<string, number>()
  const receiver: Receiver = {
    url: '',
    requests: [],
    answer: () => 200,
    delivered: () => receiver.requests.filter((request) => request.status < 300).map((request) => JSON.parse(request.body) as Record<string, unknown>),
    until: async (check, what, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`receiver: gave up waiting for ${what}; got ${receiver.requests.length} requests`)
        await sleep(20)
      }
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const key = String(request.headers['idempotency-key'])
      const attempt = (attempts.get(key) ?? 0) + 1
      attempts.set(key, attempt)
      const status = receiver.answer({ headers: request.headers, body, attempt })
      receiver.requests.push({ headers: request.headers, body, status })
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'refused')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  server.unref()
  t.teardown(() => receiver.close())
  return receiver
}
