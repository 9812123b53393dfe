// The payloads the benchmarks write: the scraper's shape, with one number varied per request so
// that no write is a duplicate of the one before it (a duplicate stores nothing).
export function payload (n: number, lastUpdated = '2026-01-25T03:17:41Z'): Record<string, unknown> {
  return {
    currentSession: { resetsIn: '2 hr', percentageUsed: (n % 10_000) / 100 },
    weeklyLimits: {
      allModels: { resetsIn: 'Thu 7:00 AM', percentageUsed: 31 },
      sonnetOnly: { resetsIn: 'Sat 12:00 PM', percentageUsed: 10 }
    },
    lastUpdated
  }
}

/** The payload as the store writes it to disk (the earlier server's two-space JSON). */
export const storedText = (value: Record<string, unknown>): string => JSON.stringify(value, null, 2)
