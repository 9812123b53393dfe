// Metrics (contract section 11): the registry of src/metrics, the HTTP histogram of every route
// (fastify-metrics, into the same registry), and the snapshot counters, counted when the POST is
// answered. Registered before the routes: fastify-metrics times only routes added after it.
// METRICS_ENABLED=false leaves all of it out (`usageMetrics` is null, /metrics is not served):
// the baseline of the benchmark.
import fp from 'fastify-plugin'
import client from 'prom-client'
import fastifyMetricsModule from 'fastify-metrics'
import type { FastifyInstance } from 'fastify'
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
  // A CommonJS module: its plugin is the `default` of what it exports.
  await fastify.register(fastifyMetricsModule.default, {
    endpoint: null,
    promClient: client,
    defaultMetrics: { enabled: false },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      overrides: {
        histogram: {
          registers: [usage.registry],
          buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        },
        // It makes the summary even when disabled, in the global registry unless told otherwise: in no registry.
        summary: { registers: [] }
      }
    }
  })

  // Callback style: it runs after every response and, but for snapshot POSTs, has nothing to do.
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.method === 'POST' && request.routeOptions.url === CONSOLE_USAGE_PATH) {
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
    done()
  })
}

export default fp(metrics, { name: 'metrics', dependencies: ['env', 'storage', 'cleanup'] })
