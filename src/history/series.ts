// A numeric field over time, reduced to at most N points for a chart. Versions are grouped into N
// buckets of equal time width over the span they cover; each bucket reports its last value (the
// one a reader of the latest numbers saw at that time) and its min and max, so spikes survive the
// reduction. Reads only the numbers the store keeps in memory, never a version file.
import type { VersionMeta } from '../storage/types.js'
import { inBounds } from './pages.js'

export interface SeriesQuery {
  field: string
  from: number | null
  to: number | null
  points: number
}

export interface SeriesPoint {
  /** Receipt time (epoch ms) of the bucket's last version. */
  t: number
  value: number
  min: number
  max: number
}

interface Sample {
  t: number
  value: number
}

export function bucketSeries (list: readonly VersionMeta[], query: SeriesQuery): SeriesPoint[] {
  const samples: Sample[] = []
  for (const meta of list) {
    // Own keys only: `__proto__` or `constructor` as a field would reach Object.prototype.
    const value = Object.hasOwn(meta.numbers, query.field) ? meta.numbers[query.field] : undefined
    if (value !== undefined && inBounds(meta, query.from, query.to)) samples.push({ t: meta.receivedAt, value })
  }
  // Stable sort: receipt times of imported versions need not follow their ids.
  samples.sort((a, b) => a.t - b.t)
  if (samples.length <= query.points) return samples.map(({ t, value }) => ({ t, value, min: value, max: value }))

  const start = (samples[0] as Sample).t
  const width = ((samples[samples.length - 1] as Sample).t - start) / query.points
  const buckets: Array<SeriesPoint | undefined> = new Array(query.points)
  for (const { t, value } of samples) {
    const index = width === 0 ? 0 : Math.min(query.points - 1, Math.floor((t - start) / width))
    const bucket = buckets[index]
    if (bucket === undefined) {
      buckets[index] = { t, value, min: value, max: value }
    } else {
      // Samples come in time order, so the one seen last is the bucket's last version.
      bucket.t = t
      bucket.value = value
      if (value < bucket.min) bucket.min = value
      if (value > bucket.max) bucket.max = value
    }
  }
  return buckets.filter((bucket): bucket is SeriesPoint => bucket !== undefined)
}

/** Every numeric field some retained version has, sorted: what a caller may ask a series of. */
export function numericFields (list: readonly VersionMeta[]): string[] {
  const fields = new Set<string>()
  for (const meta of list) for (const field of Object.keys(meta.numbers)) fields.add(field)
  return [...fields].sort()
}
