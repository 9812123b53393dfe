// The body of /health: whether the service can store, and how fresh its newest data is. Only a
// store that cannot write makes it "unhealthy" (503); old data is "degraded", so an idle scraper
// never gets the service restarted by a health check.
import { ageMinutes, freshness, type Freshness } from './freshness.js'
import type { StorageHealth } from './storage/index.js'

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy'
  storage: { writable: boolean, versionCount: number, damaged: number }
  latestData: { status: Freshness, ageMinutes: number | null, timestamp: string | null }
  uptimeSeconds: number
  timestamp: string
}

export interface HealthInput {
  storage: StorageHealth
  versionCount: number
  /** Receipt time of the newest version (epoch ms), null when nothing is stored. */
  newestReceivedAt: number | null
  staleAfterMinutes: number
  uptimeSeconds: number
  now: number
}

export function healthReport (input: HealthInput): HealthReport {
  const { storage, newestReceivedAt, now } = input
  const latestStatus = freshness(newestReceivedAt, now, input.staleAfterMinutes)
  const status = !storage.writable
    ? 'unhealthy'
    : latestStatus === 'fresh' && storage.damaged === 0 ? 'healthy' : 'degraded'
  return {
    status,
    storage: { writable: storage.writable, versionCount: input.versionCount, damaged: storage.damaged },
    latestData: {
      status: latestStatus,
      ageMinutes: newestReceivedAt === null ? null : ageMinutes(newestReceivedAt, now),
      timestamp: newestReceivedAt === null ? null : new Date(newestReceivedAt).toISOString()
    },
    uptimeSeconds: Math.floor(input.uptimeSeconds),
    timestamp: new Date(now).toISOString()
  }
}
