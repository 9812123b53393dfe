// Counts refused API keys per client address in fixed one-minute windows: after `max` failures in
// a window, that address is refused until the window is over. @fastify/rate-limit counts every
// request, not only failures, and cannot refuse a correct key once the limit is reached, so this
// small counter does the job instead.

export interface FailedAttempts {
  /** Milliseconds until `address` may try again; 0 when it is not blocked. */
  blockedFor: (address: string, now: number) => number
  record: (address: string, now: number) => void
}

export function createFailedAttempts (options: { max: number, windowMs: number }): FailedAttempts {
  const windows = new Map<string, { start: number, failures: number }>()

  // Forgets windows that are over, so a scan from many addresses cannot grow the map for ever.
  const sweep = (now: number): void => {
    for (const [address, window] of windows) {
      if (now - window.start >= options.windowMs) windows.delete(address)
    }
  }

  return {
    blockedFor (address, now) {
      const window = windows.get(address)
      if (window === undefined || window.failures < options.max) return 0
      return Math.max(0, window.start + options.windowMs - now)
    },
    record (address, now) {
      const window = windows.get(address)
      if (window === undefined || now - window.start >= options.windowMs) {
        if (windows.size >= 10_000) sweep(now)
        windows.set(address, { start: now, failures: 1 })
      } else {
        window.failures++
      }
    }
  }
}
