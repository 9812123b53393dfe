// How fast a limit fills: a least-squares line of value against receipt time (contract section 9).
// Too few values, or values too close together, say nothing about a pace, so they give no rate.

export const MIN_VALUES = 3
export const MIN_SPAN_MS = 10 * 60_000
const HOUR_MS = 3_600_000

export interface Sample {
  /** Receipt time, epoch ms. */
  t: number
  value: number
}

export interface Trend {
  /** Percentage points per hour. */
  ratePerHour: number
  /** The line's value at time `t`. */
  valueAt: (t: number) => number
  /** When the line reaches `value`; null when it never does going forward (flat or falling). */
  reaches: (value: number) => number | null
}

/** The least-squares line through `samples` (any order); null with fewer than 3 or spanning under 10 minutes. */
export function fitTrend (samples: readonly Sample[]): Trend | null {
  if (samples.length < MIN_VALUES) return null
  let first = Infinity
  let last = -Infinity
  for (const { t } of samples) {
    if (t < first) first = t
    if (t > last) last = t
  }
  if (last - first < MIN_SPAN_MS) return null
  // Times in hours from the first sample keep the sums well inside double precision.
  let sumX = 0
  let sumY = 0
  for (const { t, value } of samples) {
    sumX += (t - first) / HOUR_MS
    sumY += value
  }
  const meanX = sumX / samples.length
  const meanY = sumY / samples.length
  let covariance = 0
  let variance = 0
  for (const { t, value } of samples) {
    const dx = (t - first) / HOUR_MS - meanX
    covariance += dx * (value - meanY)
    variance += dx * dx
  }
  const slope = covariance / variance
  const valueAt = (t: number): number => meanY + slope * ((t - first) / HOUR_MS - meanX)
  return {
    ratePerHour: slope,
    valueAt,
    reaches: (value) => slope > 0 ? first + (meanX + (value - meanY) / slope) * HOUR_MS : null
  }
}
