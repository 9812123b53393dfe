// Browser-facing protections. CORS lets the origins of CORS_ORIGINS (the widget's page) read the
// API and send the key header; none are allowed by default. Helmet sets the security headers, in
// two policies: JSON answers (/api, /health) get the short set an API needs (nothing may be loaded,
// framed or sniffed: `default-src 'none'`); the self-hosted pages (/, /docs) get helmet's same-origin
// defaults, which let them load their own scripts. HTTPS-only headers are sent only when the
// service itself serves HTTPS: on plain HTTP, `upgrade-insecure-requests` would send a page's
// scripts to an HTTPS port nobody listens on.
//
// Each policy's middleware is built once and run from one hook. (@fastify/helmet builds a new
// middleware, parsing the CSP directives again, on every request: a fifth of the CPU of a read.)
import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import helmet from 'helmet'
import type { FastifyInstance } from 'fastify'
import { corsOrigins } from '../src/config.js'

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
  fastify.addHook('onRequest', (request, reply, done) => {
    const json = request.url.startsWith('/api/') || request.url.startsWith('/health')
    const headers = json ? forJson : forPages
    headers(request.raw, reply.raw, (error) => { done(error as Error | undefined) })
  })
  await fastify.register(cors, {
    origin: origins.length > 0 ? origins : false,
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'X-API-Key', 'X-Request-Id', 'If-None-Match', 'If-Modified-Since', 'Last-Event-ID'],
    exposedHeaders: ['ETag', 'Last-Modified', 'X-Request-Id', 'Retry-After'],
    maxAge: 600
  })
}

export default fp(security, { name: 'security', dependencies: ['env'] })
