// `http_request_duration_seconds{method,route,status_code}`, observed on every request. prom-client's
// Histogram finds a series by hashing its labels on each observation (about 2 µs, a few percent of a
// latest read); here each route keeps its own series by method and status, so an observation is a
// map lookup and a bucket count. The registry takes it as any metric: an object whose `get()` gives
// the name, help, type and samples, which prom-client's own metrics also are to it.
import type { Metric, MetricValue, Registry } from 'prom-client'

interface Series {
  labels: { method: string, route: string, status_code: number }
  /** Observations in each bucket (not cumulative), the last one past every bound (+Inf). */
  counts: number[]
  sum: number
  count: number
}

export interface RouteTimer {
  observe: (method: string, statusCode: number, seconds: number) => void
}

export class RouteHistogram {
  readonly name = 'http_request_duration_seconds'
  readonly help = 'HTTP requests by route: from arrival to the answer sent'
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly #bounds: readonly number[]
  readonly #series: Series[] = []

  constructor (bounds: readonly number[], registry: Registry) {
    this.#bounds = bounds
    // prom-client types a metric as one of its own classes; the registry itself asks only for `name` and `get()`.
    registry.registerMetric(this as unknown as Metric)
  }

  /** The timer of one route: its series, found by method and status without building a key from labels. */
  route (route: string): RouteTimer {
    const byMethod = new Map<string, Map<number, Series>>()
    return {
      observe: (method, statusCode, seconds) => {
        let byStatus = byMethod.get(method)
        if (byStatus === undefined) byMethod.set(method, byStatus = new Map())
        let series = byStatus.get(statusCode)
        if (series === undefined) {
          series = { labels: { method, route, status_code: statusCode }, counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 }
          byStatus.set(statusCode, series)
          this.#series.push(series)
        }
        let bucket = 0
        while (bucket < this.#bounds.length && seconds > (this.#bounds[bucket] as number)) bucket++
        series.counts[bucket] = (series.counts[bucket] ?? 0) + 1
        series.sum += seconds
        series.count++
      }
    }
  }

  get (): { name: string, help: string, type: string, aggregator: string, values: Array<MetricValue<string> & { metricName: string }> } {
    const values: Array<MetricValue<string> & { metricName: string }> = []
    for (const { labels, counts, sum, count } of this.#series) {
      let cumulative = 0
      this.#bounds.forEach((bound, index) => {
        cumulative += counts[index] ?? 0
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: bound }, value: cumulative })
      })
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count })
      values.push({ metricName: `${this.name}_sum`, labels, value: sum })
      values.push({ metricName: `${this.name}_count`, labels, value: count })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset (): void {
    for (const series of this.#series) {
      series.counts.fill(0)
      series.sum = 0
      series.count = 0
    }
  }
}
