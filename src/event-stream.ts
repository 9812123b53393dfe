// The start of a Server-Sent Events answer, shared by the streams of the API (`/events`,
// `/refresh-requests`): the reply is taken over from Fastify and written by hand, keeping the
// headers earlier hooks set (request id, CORS, security headers). Each stream takes a place from
// plugins/streams.ts first (503 TOO_MANY_STREAMS when there is none) and gives it back when it closes.
import type { ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Sends the stream's headers; returns the response to write events to, or null for HEAD (headers only). */
export function openEventStream (request: FastifyRequest, reply: FastifyReply): ServerResponse | null {
  // HEAD holds no stream, so it takes no place; a refusal throws before the reply is taken over.
  const release = request.method === 'HEAD' ? null : request.server.takeStreamSlot(request)
  reply.hijack()
  const response = reply.raw
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) response.setHeader(name, value)
  }
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    // A stream ends only when one side is done with it: no use keeping the connection for another request.
    connection: 'close',
    // Proxies such as nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no'
  })
  // HEAD (which Fastify adds for every GET) gets the headers of a stream, and no stream.
  if (request.method === 'HEAD') {
    response.end()
    return null
  }
  if (release !== null) response.once('close', release)
  return response
}
