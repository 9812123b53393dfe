// Version metadata made in memory for the pure history modules: ids in receipt order, one a minute.
import { formatId } from '../../src/storage/ids.js'
import type { VersionMeta } from '../../src/storage/types.js'

export const BASE = Date.parse('2026-01-01T00:00:00Z')
export const MINUTE = 60_000

export function metas (count: number, numbers: (index: number) => Record<string, number> = (i) => ({ n: i })): VersionMeta[] {
  return Array.from({ length: count }, (_, index) => ({
    id: formatId(BASE + index * MINUTE, index),
    receivedAt: BASE + index * MINUTE,
    lastUpdated: new Date(BASE + index * MINUTE).toISOString(),
    size: 100,
    numbers: numbers(index),
    resetsIn: {}
  }))
}
