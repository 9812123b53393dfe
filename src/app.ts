// The service as one plugin. Order matters: configuration first (everything reads it), then the
// shared plugins that shape every request (validation, errors, security), then the store, then the
// routes that use it. Tests register this same plugin, so they exercise the product's composition.
import type { FastifyInstance } from 'fastify'
import env from '../plugins/env.js'
import drain from '../plugins/drain.js'
import validation from '../plugins/validation.js'
import sensible from '../plugins/sensible.js'
import requestId from '../plugins/request-id.js'
import errors from '../plugins/errors.js'
import security from '../plugins/security.js'
import swagger from '../plugins/swagger.js'
import storage from '../plugins/storage.js'
import auth from '../plugins/auth.js'
import cleanup from '../plugins/cleanup.js'
import streams from '../plugins/streams.js'
import metrics from '../plugins/metrics.js'
import alerts, { type AlertsPluginOptions } from '../plugins/alerts.js'
import health from '../routes/health.js'
import consoleUsage from '../routes/console-usage.js'
import page from '../routes/page.js'
import versions from '../routes/versions.js'
import diff from '../routes/diff.js'
import series from '../routes/series.js'
import metadata from '../routes/metadata.js'
import retention from '../routes/retention.js'
import events from '../routes/events.js'
import forecast from '../routes/forecast.js'
import refresh from '../routes/refresh.js'
import metricsRoute from '../routes/metrics.js'
import alertRoutes from '../routes/alerts.js'

export interface AppOptions {
  /** The environment to configure from; the process's own (and `.env`) when absent. */
  env?: NodeJS.ProcessEnv
  /** The clock that stamps receipts (tests step it back). */
  clock?: () => number
  /** Alert delivery timings (tests shorten the retries). */
  alerts?: AlertsPluginOptions
}

export default async function app (fastify: FastifyInstance, options: AppOptions): Promise<void> {
  await fastify.register(env, options.env === undefined ? {} : { env: options.env })
  // Its hooks must see every request, so it comes before anything that may answer one.
  await fastify.register(drain)
  await fastify.register(validation)
  await fastify.register(sensible)
  await fastify.register(requestId)
  await fastify.register(errors)
  await fastify.register(security)
  // Before any route: the OpenAPI document learns routes as they are added.
  await fastify.register(swagger)
  await fastify.register(storage, options.clock === undefined ? {} : { clock: options.clock })
  // After storage: a generated write key is kept in the data folder, which the store has opened (and locked).
  await fastify.register(auth)
  await fastify.register(cleanup)
  // Before the routes that hold streams open: they take their places from it.
  await fastify.register(streams)
  // Before the routes, whose requests it times; then alerts, which count their attempts in it.
  await fastify.register(metrics)
  await fastify.register(alerts, options.alerts ?? {})
  await fastify.register(health)
  await fastify.register(consoleUsage)
  // The history API (contract section 6), one resource a plugin.
  const history = { prefix: '/api/claude/console-usage' }
  await fastify.register(versions, history)
  await fastify.register(diff, history)
  await fastify.register(series, history)
  await fastify.register(metadata, history)
  await fastify.register(retention, history)
  await fastify.register(events, history)
  await fastify.register(forecast, history)
  // The refresh button: the widget's trigger and the scraper agents' stream (contract section 5).
  await fastify.register(refresh, history)
  await fastify.register(alertRoutes, history)
  await fastify.register(metricsRoute)
  // The history page reads the API from the browser, like any other client.
  await fastify.register(page)
}
