// The Fastify options of the service, shared by the server and the tests' helper so both build the
// same instance.
import { randomUUID } from 'node:crypto'
import type { FastifyServerOptions } from 'fastify'
import { trustedProxies, type Env } from './config.js'
import { answerClientError, answerFrameworkError } from './api-error.js'

/** A request id a client may choose itself, when it is short and plain; otherwise one is made. */
const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/

export const BODY_LIMIT_BYTES = 64 * 1024

/** The longest a graceful close may take; pm2's kill_timeout is set above it. */
export const CLOSE_TIMEOUT_MS = 10_000

export function serverOptions (env: Pick<Env, 'LOG_LEVEL'> & Partial<Pick<Env, 'TRUST_PROXY'>>): FastifyServerOptions {
  const proxies = trustedProxies({ TRUST_PROXY: env.TRUST_PROXY ?? '' })
  return {
    // request.ip is the client named in X-Forwarded-For only when the connection comes from one of
    // these; otherwise the connection's own address, whatever the headers say.
    trustProxy: proxies.length === 0 ? false : proxies,
    logger: {
      level: env.LOG_LEVEL,
      // Keys never reach the log, whatever the level.
      redact: { paths: ['req.headers["x-api-key"]', 'req.headers.authorization'], censor: '[redacted]' }
    },
    // false: with a header name Fastify takes any value of that header and skips genReqId, which
    // reads the header itself and keeps only a plain id.
    requestIdHeader: false,
    genReqId: (request) => {
      const offered = request.headers['x-request-id']
      return typeof offered === 'string' && CLIENT_REQUEST_ID.test(offered) ? offered : randomUUID()
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // A URL Fastify cannot decode is refused before any hook runs: answered here in the envelope.
    frameworkErrors: answerFrameworkError,
    // What Node's parser refuses before Fastify sees a request (431, 400, 408), in the envelope too.
    clientErrorHandler: answerClientError,
    // Health checks and the scraper's retries need answers in bounded time.
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    // plugins/errors.ts answers requests that arrive while closing: 503 in the envelope, with Retry-After.
    return503OnClosing: false,
    // The store opens inside a plugin: 100,000 versions on a cold page cache or a busy host can take
    // longer than avvio's default 10 s, which would fail the start (pm2 waits up to 30 s for ready).
    pluginTimeout: 60_000
  }
}
