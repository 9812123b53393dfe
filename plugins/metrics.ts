// Metrics (contract section 11): the registry of src/metrics, and an onResponse hook on every route
// that times it for the HTTP histogram and counts the snapshot POSTs as they are answered.
// Registered before the routes, which it learns of as they are added. (fastify-metrics 12 times
// routes too, with an onRequest and an onResponse hook a request and the route read from the
// request each time, and prom-client's histogram hashes the labels of every observation.)
// METRICS_ENABLED=false leaves all of it out (`usageMetrics` is null, /metrics is not served):
// the baseline of the benchmark.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify'
import { createUsageMetrics, type UsageMetrics } from '../src/metrics/usage-metrics.js'
import { CONSOLE_USAGE_PATH } from '../routes/console-usage.js'
import { usageTimeZone } from '../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    usageMetrics: UsageMetrics | null
  }
}

async function metrics (fastify: FastifyInstance): Promise<void> {
  if (!fastify.config.METRICS_ENABLED) {
    fastify.decorate('usageMetrics', null)
    return
  }
  const usage = createUsageMetrics({ store: fastify.store, timeZone: usageTimeZone(fastify.config) })
  fastify.decorate('usageMetrics', usage)
  const countSnapshot = (request: FastifyRequest, reply: FastifyReply): void => {
    if (reply.statusCode !== 200) {
      usage.snapshot('rejected')
    } else if (request.storedVersion) {
      usage.snapshot('stored')
      // The answer follows the durable commit at once, so the request's time is receipt to durable.
      usage.commitSeconds(reply.elapsedTime / 1000)
    } else {
      usage.snapshot('duplicate')
    }
  }
  // Each route gets its own onResponse hook, which knows the route's URL: reading it from the request
  // (`request.routeOptions`) builds an object on every request. Callback style; requests no route
  // took (404s of unknown paths, whose paths are unbounded) are not timed.
  fastify.addHook('onRoute', (route) => {
    const { url } = route
    const snapshots = url === CONSOLE_USAGE_PATH && route.method === 'POST'
    const timer = usage.routeTimer(url)
    const timed: onResponseHookHandler = (request, reply, done) => {
      timer.observe(request.method, reply.statusCode, reply.elapsedTime / 1000)
      if (snapshots) countSnapshot(request, reply)
      done()
    }
    route.onResponse = route.onResponse === undefined ? [timed] : [...[route.onResponse].flat(), timed]
  })
}

export default fp(metrics, { name: 'metrics', dependencies: ['env', 'storage', 'cleanup'] })
