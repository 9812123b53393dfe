// Browser-facing protections. CORS lets the origins of CORS_ORIGINS (the widget's page) read the
// API and send the key header; none are allowed by default. Helmet adds the security headers: its
// same-origin defaults suit a JSON API and still let the self-hosted pages (/, /docs) load their
// own scripts. HTTPS-only headers are sent only when the service itself serves HTTPS: on plain
// HTTP, `upgrade-insecure-requests` would send a page's scripts to an HTTPS port nobody listens on.
import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import { corsOrigins } from '../src/config.js'

async function security (fastify: FastifyInstance): Promise<void> {
  const origins = corsOrigins(fastify.config)
  const https = fastify.config.TLS_CERT_FILE !== undefined
  await fastify.register(helmet, {
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: https ? [] : null } },
    strictTransportSecurity: https,
    // Answers are fetched cross-origin by the widget's page; CORS, not CORP, decides who may read them.
    crossOriginResourcePolicy: { policy: origins.length > 0 ? 'cross-origin' : 'same-origin' }
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
