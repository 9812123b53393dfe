// The service's Prometheus metrics (contract section 11), in a registry of its own (several apps in
// one process, as in the tests, never share one). Gauges are computed when scraped, from what the
// store keeps in memory; counters are counted where things happen, through the functions below.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { computeForecast, type Forecast } from '../insights/forecast.js'
import { SECTIONS } from '../sections.js'
import type { VersionStore } from '../storage/types.js'
import { RouteHistogram, type RouteTimer } from './route-histogram.js'

export type SnapshotResult = 'stored' | 'duplicate' | 'rejected'

export interface UsageMetrics {
  registry: Registry
  /** A POST of a snapshot was answered: stored, a duplicate of the latest, or refused. */
  snapshot: (result: SnapshotResult) => void
  /** Seconds from a stored snapshot's receipt to its durable acknowledgement. */
  commitSeconds: (seconds: number) => void
  /** An attempt to deliver an alert ended. */
  alertAttempt: (kind: string, delivered: boolean) => void
  /** The HTTP histogram's timer of one route (plugins/metrics.ts gives every route its own). */
  routeTimer: (route: string) => RouteTimer
}

export interface UsageMetricsOptions {
  store: Pick<VersionStore, 'list' | 'statistics' | 'bytesStored' | 'health'>
  timeZone: string
  clock?: () => number
}

const seconds = (iso: string): number => Date.parse(iso) / 1000

export function createUsageMetrics (options: UsageMetricsOptions): UsageMetrics {
  const { store, timeZone } = options
  const clock = options.clock ?? Date.now
  const registry = new Registry()
  const registers = [registry]
  collectDefaultMetrics({ register: registry })
  // Gauges that prom-client names like counters: Prometheus's naming rules (and `promtool check
  // metrics`) refuse a gauge ending in _total, so these three are left out.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name)

  // One forecast per scrape serves three gauges: it is kept while the newest version and the clock second stay the same.
  let cached: { key: string, forecast: Forecast } | null = null
  const forecastNow = (): Forecast => {
    const list = store.list()
    const now = clock()
    const key = `${list[list.length - 1]?.id ?? ''}:${Math.floor(now / 1000)}`
    if (cached?.key !== key) cached = { key, forecast: computeForecast(list, { at: now, now, timeZone }) }
    return cached.forecast
  }
  /** Sets one sample per limit for which `pick` knows a value; a limit without one has no sample. */
  const perLimit = (gauge: Gauge<'limit'>, pick: (limit: NonNullable<Forecast['limits'][keyof Forecast['limits']]>) => number | null): void => {
    gauge.reset()
    const { limits } = forecastNow()
    for (const section of SECTIONS) {
      const limit = limits[section.forecastKey]
      const value = limit === null ? null : pick(limit)
      if (value !== null) gauge.set({ limit: section.metricLabel }, value)
    }
  }

  new Gauge({
    name: 'usage_vault_usage_percent',
    help: 'Newest real (not missing) percentage used of each limit',
    labelNames: ['limit'],
    registers,
    collect () { perLimit(this, (limit) => limit.percentageUsed) }
  })
  new Gauge({
    name: 'usage_vault_usage_reset_timestamp_seconds',
    help: 'When each limit resets (Unix time), when its reset text is understood',
    labelNames: ['limit'],
    registers,
    collect () { perLimit(this, (limit) => limit.resetsAt === null ? null : seconds(limit.resetsAt)) }
  })
  new Gauge({
    name: 'usage_vault_usage_projected_full_timestamp_seconds',
    help: 'When each limit reaches 100 % at its current pace (Unix time), when known',
    labelNames: ['limit'],
    registers,
    collect () { perLimit(this, (limit) => limit.projectedFullAt === null ? null : seconds(limit.projectedFullAt)) }
  })
  new Gauge({
    name: 'usage_vault_latest_snapshot_timestamp_seconds',
    help: 'Receipt time of the newest version (Unix time)',
    registers,
    collect () {
      this.reset()
      const list = store.list()
      const newest = list[list.length - 1]
      if (newest !== undefined) this.set(newest.receivedAt / 1000)
    }
  })
  new Gauge({
    name: 'usage_vault_versions',
    help: 'Versions retained',
    registers,
    collect () { this.set(store.list().length) }
  })
  new Gauge({
    name: 'usage_vault_stored_bytes',
    help: 'Bytes of the retained versions',
    registers,
    collect () { this.set(store.bytesStored()) }
  })
  new Gauge({
    name: 'usage_vault_storage_writable',
    help: '1 when the store takes writes, as /health says; 0 when /health answers 503',
    registers,
    async collect () { this.set((await store.health()).writable ? 1 : 0) }
  })
  const received = new Counter({
    name: 'usage_vault_snapshots_received_total',
    help: 'Snapshots POSTed, by result: stored, duplicate (of the latest) or rejected',
    labelNames: ['result'],
    registers
  })
  for (const result of ['stored', 'duplicate', 'rejected'] as const) received.inc({ result }, 0)
  new Counter({
    name: 'usage_vault_versions_deleted_total',
    help: 'Versions deleted by retention (the lifetime total of the statistics)',
    registers,
    collect () {
      // The store counts them durably (totalVersionsDeleted); the counter shows that count.
      this.reset()
      this.inc(store.statistics().totalVersionsDeleted)
    }
  })
  const commit = new Histogram({
    name: 'usage_vault_commit_duration_seconds',
    help: 'From the receipt of a snapshot to its durable acknowledgement',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers
  })
  const alerts = new Counter({
    name: 'usage_vault_alerts_total',
    help: 'Alert delivery attempts, by kind and outcome (delivered, or failed: one failed attempt)',
    labelNames: ['kind', 'outcome'],
    registers
  })

  const http = new RouteHistogram([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registry)

  return {
    registry,
    routeTimer: (route) => http.route(route),
    snapshot: (result) => { received.inc({ result }) },
    commitSeconds: (value) => { commit.observe(value) },
    alertAttempt: (kind, delivered) => { alerts.inc({ kind, outcome: delivered ? 'delivered' : 'failed' }) }
  }
}
