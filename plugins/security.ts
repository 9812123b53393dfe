// Browser-facing protections. CORS lets the origins of CORS_ORIGINS (the widget's page) read the
// API and send the key header; none are allowed by default. Helmet sets the security headers, in
// two policies: JSON answers (/api, /health) get the short set an API needs (nothing may be loaded,
// framed or sniffed: `default-src 'none'`); the self-hosted pages (/, /docs) get helmet's same-origin
// defaults, which let them load their own scripts. HTTPS-only headers are sent only when the
// service itself serves HTTPS: on plain HTTP, `upgrade-insecure-requests` would send a page's
// scripts to an HTTPS port nobody listens on.
//
// Helmet's headers do not depend on the request: each policy's middleware is run once, at
// registration, and the headers it set are kept; every answer then gets them from one hook, as a
// list set with no middleware chain. (@fastify/helmet builds a new middleware, parsing the CSP
// directives again, on every request: a fifth of the CPU of a read; running the built middleware
// per request still cost its chain of closures and a header validation each.)
import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import helmet from 'helmet'
import type { FastifyInstance } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { corsOrigins } from '../src/config.js'

type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void

/** The headers a helmet middleware sets, learnt by running it once against a response that records them. */
function headersOf (middleware: Middleware): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => { headers[name.toLowerCase()] = String(value) },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()] }
  }
  let failure: unknown = null
  // helmet reads nothing of the request; its next() is called synchronously.
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error) => { failure = error ?? null })
  if (failure !== null) throw failure
  return headers
}

async function security (fastify: FastifyInstance): Promise<void> {
  const origins = corsOrigins(fastify.config)
  const https = fastify.config.TLS_CERT_FILE !== undefined
  const shared = {
    strictTransportSecurity: https,
    // Answers are fetched cross-origin by the widget's page; CORS, not CORP, decides who may read them.
    crossOriginResourcePolicy: { policy: origins.length > 0 ? 'cross-origin' as const : 'same-origin' as const }
  }
  const forPages = helmet({ ...shared, contentSecurityPolicy: { directives: { upgradeInsecureRequests: https ? [] : null } } })
  const forJson = helmet({
    ...shared,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    // Headers that only matter to documents a browser renders.
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false
  })
  const jsonHeaders = headersOf(forJson)
  const pageHeaders = headersOf(forPages)
  fastify.addHook('onRequest', (request, reply, done) => {
    const json = request.url.startsWith('/api/') || request.url.startsWith('/health')
    reply.headers(json ? jsonHeaders : pageHeaders)
    done()
  })
  // No origin allowed: CORS would only add a hook to every request that does nothing (a preflight
  // then meets the 404 it would have met anyway).
  if (origins.length === 0) return
  await fastify.register(cors, {
    origin: origins,
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'X-API-Key', 'X-Request-Id', 'If-None-Match', 'If-Modified-Since', 'Last-Event-ID'],
    exposedHeaders: ['ETag', 'Last-Modified', 'X-Request-Id', 'Retry-After'],
    maxAge: 600
  })
}

export default fp(security, { name: 'security', dependencies: ['env'] })
