// API keys. Writes need the write key (CLAUDE_SYNC_API_KEY, or the key kept in DATA_DIR/.api-key);
// when CLAUDE_READ_API_KEY is set, every `GET /api/...` but /api/health needs it or the write key.
// Keys are compared in constant time. After 10 wrong keys within a minute from one client (address,
// IPv6 by /64; behind TRUST_PROXY the client X-Forwarded-For names), its wrong keys get 429 until that
// minute is over. A valid key is never refused and a request without a key is never counted: the
// limit slows guessing, it must not let anyone lock the scraper out.
//
// Other route plugins protect a route with the decorator:
//   fastify.post('/cleanup', { onRequest: fastify.requireWriteKey, schema: { response: { ...errorResponses(401, 429) } } }, handler)
// Reads need nothing: the read-key hook below covers every GET under /api.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../src/api-error.js'
import { clientKey, createFailedAttempts } from '../src/failed-attempts.js'
import { resolveWriteKey } from '../src/write-key.js'

export type KeyHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest/preHandler hook: refuses the request unless X-API-Key is the write key. */
    requireWriteKey: KeyHook
    /** onRequest/preHandler hook: refuses the request unless X-API-Key is the read or the write key (no-op without a read key). */
    requireReadKey: KeyHook
    /** A secret for `purpose` (e.g. signing cursors) derived from the write key: stable across restarts, never the key itself. */
    deriveSecret: (purpose: string) => Buffer
  }
}

export const MAX_FAILED_ATTEMPTS = 10
export const FAILED_ATTEMPTS_WINDOW_MS = 60_000

/** Equal-length digests, so timingSafeEqual can compare keys of any length. */
const digest = (key: string): Buffer => createHash('sha256').update(key).digest()

async function auth (fastify: FastifyInstance): Promise<void> {
  const { key, source, created } = await resolveWriteKey(fastify.config.CLAUDE_SYNC_API_KEY, fastify.config.DATA_DIR)
  if (source !== 'environment') {
    fastify.log.info({ keyFile: source, created }, created
      ? 'CLAUDE_SYNC_API_KEY is unset: made a write key and kept it in the key file'
      : 'CLAUDE_SYNC_API_KEY is unset: using the write key kept in the key file')
  }
  const writeKeys = [digest(key)]
  const readKeys = fastify.config.CLAUDE_READ_API_KEY === undefined ? null : [digest(fastify.config.CLAUDE_READ_API_KEY), ...writeKeys]
  const attempts = createFailedAttempts({ max: MAX_FAILED_ATTEMPTS, windowMs: FAILED_ATTEMPTS_WINDOW_MS })

  const requireKey = (accepted: Buffer[], which: string): KeyHook => async (request) => {
    const offered = request.headers['x-api-key']
    if (typeof offered !== 'string' || offered === '') {
      throw new ApiError(401, 'AUTH_MISSING', `this route needs the ${which} key in the X-API-Key header`, {
        suggestion: 'send X-API-Key'
      })
    }
    const offeredDigest = digest(offered)
    // Every key is compared, so the time taken does not tell which one came close.
    let match = false
    for (const candidate of accepted) match = timingSafeEqual(offeredDigest, candidate) || match
    if (match) return
    const client = clientKey(request.ip)
    const now = Date.now()
    const wait = attempts.blockedFor(client, now)
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000)
      throw new ApiError(429, 'TOO_MANY_ATTEMPTS', `too many refused API keys from this address; try again in ${seconds} s`, {
        headers: { 'retry-after': String(seconds) },
        suggestion: 'check the X-API-Key the client sends'
      })
    }
    attempts.record(client, now)
    request.log.warn({ ip: request.ip }, 'refused an invalid API key')
    throw new ApiError(401, 'AUTH_INVALID', 'the X-API-Key is not valid', {
      suggestion: `send the ${which} key configured on the server`
    })
  }

  const requireWriteKey = requireKey(writeKeys, 'write')
  const requireReadKey: KeyHook = readKeys === null ? async () => {} : requireKey(readKeys, 'read')
  fastify.decorate('requireWriteKey', requireWriteKey)
  fastify.decorate('requireReadKey', requireReadKey)
  fastify.decorate('deriveSecret', (purpose: string) => createHmac('sha256', key).update(`usage-vault:${purpose}`).digest())

  if (readKeys !== null) {
    fastify.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return
      const path = request.routeOptions.url ?? request.url.split('?')[0] ?? ''
      if (!path.startsWith('/api/') || path === '/api/health') return
      await requireReadKey(request, reply)
    })
  }
}

export default fp(auth, { name: 'auth', dependencies: ['env', 'errors'] })
