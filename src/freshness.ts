// How old data is, in the words of the contract: the read's `isStale`/`ageMinutes` (from the
// payload's lastUpdated) and /health's fresh/stale/expired (from the newest receipt) share these rules.

/** After this many minutes data is no longer "stale" but "expired" (/health). */
export const EXPIRED_AFTER_MINUTES = 30

export type Freshness = 'fresh' | 'stale' | 'expired' | 'none'

const MINUTE_MS = 60_000

/** Whole minutes from `time` to `now`; a time ahead of the clock counts as 0, not as negative. */
export function ageMinutes (time: number, now: number): number {
  return Math.max(0, Math.floor((now - time) / MINUTE_MS))
}

/** True when more than `staleAfterMinutes` have passed since `time`. */
export function isStale (time: number, now: number, staleAfterMinutes: number): boolean {
  return now - time > staleAfterMinutes * MINUTE_MS
}

/** fresh within `staleAfterMinutes`, stale within 30 minutes, then expired; none without data. */
export function freshness (time: number | null, now: number, staleAfterMinutes: number): Freshness {
  if (time === null) return 'none'
  if (!isStale(time, now, staleAfterMinutes)) return 'fresh'
  return isStale(time, now, EXPIRED_AFTER_MINUTES) ? 'expired' : 'stale'
}
