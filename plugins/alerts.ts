// Alerts (contract section 10): the rules run after each stored version, on timers for silence and
// for the store's health, and once at start; the sender records each alert in the store's outbox
// and delivers it. Without ALERT_WEBHOOK_URL nothing runs: `fastify.alerts.sender` is null and the
// route only lists what an earlier configuration recorded.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createEvaluator } from '../src/alerts/evaluator.js'
import { createSender, type DeliveryTimings, type Sender } from '../src/alerts/sender.js'
import { alertThresholds, usageTimeZone } from '../src/config.js'
import type { AlertRecord } from '../src/storage/types.js'

export interface AlertTimings extends DeliveryTimings {
  /** How often silence is checked for; by default a quarter of ALERT_STALE_MINUTES, between 1 s and 30 s. */
  staleCheckMs: number
  /** How often the store's health is checked for the `storage` alert. */
  storageCheckMs: number
}

export interface AlertsPluginOptions {
  /** Tests shorten them; the defaults are the contract's. */
  timings?: Partial<AlertTimings>
}

export interface AlertsFacade {
  /** Null when ALERT_WEBHOOK_URL is unset. */
  sender: Sender | null
  recent: (limit: number) => Promise<AlertRecord[]>
}

declare module 'fastify' {
  interface FastifyInstance {
    alerts: AlertsFacade
  }
}

async function alerts (fastify: FastifyInstance, options: AlertsPluginOptions): Promise<void> {
  const { config, store } = fastify
  const log = fastify.log.child({ module: 'alerts' })
  const url = config.ALERT_WEBHOOK_URL
  if (url === undefined) {
    fastify.decorate('alerts', { sender: null, recent: (limit: number) => store.alerts.recent(limit) })
    return
  }
  const timings = options.timings ?? {}
  const staleMs = config.ALERT_STALE_MINUTES * 60_000
  const sender = createSender({
    outbox: store.alerts,
    target: { url, format: config.ALERT_WEBHOOK_FORMAT, ...(config.ALERT_WEBHOOK_SECRET === undefined ? {} : { secret: config.ALERT_WEBHOOK_SECRET }) },
    timings,
    log,
    onAttempt: (kind, delivered) => { fastify.usageMetrics?.alertAttempt(kind, delivered) }
  })
  const evaluator = createEvaluator({ store, sender, thresholds: alertThresholds(config), staleMs, timeZone: usageTimeZone(config), log })
  fastify.decorate('alerts', { sender, recent: sender.recent })

  // One evaluation at a time, in order; each after the answer that stored its version has gone.
  let chain: Promise<void> = Promise.resolve()
  let closed = false
  const queue = (what: string, work: () => Promise<void>): void => {
    if (closed) return
    chain = chain.then(work).catch((error: unknown) => { log.error({ err: error }, `alert ${what} failed`) })
  }
  const stopListening = store.onVersion((version) => {
    setImmediate(() => { queue('evaluation', () => evaluator.afterVersion(version.meta.id)) })
  })
  const timers: NodeJS.Timeout[] = []
  const every = (ms: number, what: string, work: () => Promise<void>): void => {
    const timer = setInterval(() => { queue(what, work) }, ms)
    timer.unref()
    timers.push(timer)
  }
  if (staleMs > 0) every(timings.staleCheckMs ?? Math.min(30_000, Math.max(1_000, staleMs / 4)), 'stale check', evaluator.checkStale)
  every(timings.storageCheckMs ?? 30_000, 'storage check', evaluator.checkStorage)

  fastify.addHook('onReady', (done) => {
    // In the background: the service answers while an earlier run's alerts are sent again.
    queue('start-up re-check', evaluator.atStart)
    queue('resume', sender.resume)
    done()
  })
  // Registered after storage: runs before the store closes.
  fastify.addHook('onClose', async () => {
    closed = true
    stopListening()
    for (const timer of timers) clearInterval(timer)
    await chain
    await sender.close()
  })
}

export default fp(alerts, { name: 'alerts', dependencies: ['env', 'storage', 'metrics'] })
