// Small statistics over repeated runs: medians, percentiles, and the spread that says whether the
// runs agree well enough to trust their median.

/** Spread of runs above which a figure is reported as too noisy to trust. */
export const NOISE_LIMIT = 0.15

export function median (values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50)
}

/** The p-th percentile of already sorted values (nearest rank). */
export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number
}

/** (max - min) / median: 0.2 means the runs differ by a fifth of their median. */
export function spread (values: readonly number[]): number {
  if (values.length < 2) return 0
  const mid = median(values)
  return mid === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / Math.abs(mid)
}

export function sorted (values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b)
}
