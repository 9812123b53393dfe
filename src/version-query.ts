// Which version a read asks for (`GET /api/claude/console-usage`): the latest, the N-th from either
// end (`version`), the one received nearest a time (`timestamp`), or the newest received at or
// before a time (`at`). Refusals are ApiErrors that say what would have been accepted.
import { ApiError } from './api-error.js'
import type { VersionMeta } from './storage/index.js'

export interface VersionQuery {
  version?: string | undefined
  timestamp?: string | undefined
  at?: string | undefined
}

const INTEGER = /^-?\d+$/

function parseTime (name: string, value: string): number {
  const time = Date.parse(value)
  if (Number.isNaN(time)) {
    throw new ApiError(400, 'VALIDATION_ERROR', `querystring.${name} must be an ISO 8601 date-time, got ${JSON.stringify(value)}`, {
      suggestion: `e.g. ?${name}=2026-01-25T16:32:31Z`
    })
  }
  return time
}

/** The version the query names, among `versions` (retained, oldest first); there must be one. */
export function pickVersion (versions: readonly VersionMeta[], query: VersionQuery): VersionMeta {
  if (versions.length === 0) {
    // Said before any check of the query: with nothing stored, no query can be answered.
    throw new ApiError(404, 'NOT_FOUND', 'no usage data is stored yet', { suggestion: 'POST a snapshot to /api/claude/console-usage first' })
  }
  const given = (['version', 'timestamp', 'at'] as const).filter((name) => query[name] !== undefined)
  if (given.length > 1) {
    throw new ApiError(400, 'VALIDATION_ERROR', `querystring: use one of version, timestamp and at, not ${given.join(' and ')}`)
  }
  const total = versions.length
  if (query.version !== undefined) {
    const n = INTEGER.test(query.version) ? Number(query.version) : Number.NaN
    const index = n > 0 ? n - 1 : total + n
    if (!Number.isSafeInteger(n) || n === 0 || index < 0 || index >= total) {
      const validRange = total === 1 ? '1 or -1' : `1..${total} or -${total}..-1`
      throw new ApiError(400, 'VALIDATION_ERROR',
        `querystring.version must be an integer in ${validRange} (1 = oldest, -1 = latest), got ${JSON.stringify(query.version)}`,
        { details: { validRange }, suggestion: total === 1 ? 'only 1 version is retained' : `${total} versions are retained` })
    }
    return versions[index] as VersionMeta
  }
  if (query.timestamp !== undefined) {
    const time = parseTime('timestamp', query.timestamp)
    let nearest = versions[0] as VersionMeta
    // Receipt times need not follow ids for imported versions, so every one is looked at.
    for (const meta of versions) {
      if (Math.abs(meta.receivedAt - time) <= Math.abs(nearest.receivedAt - time)) nearest = meta
    }
    return nearest
  }
  if (query.at !== undefined) {
    const time = parseTime('at', query.at)
    let newest: VersionMeta | null = null
    for (const meta of versions) {
      if (meta.receivedAt <= time && (newest === null || meta.receivedAt >= newest.receivedAt)) newest = meta
    }
    if (newest === null) {
      const oldest = versions.reduce((min, meta) => (meta.receivedAt < min.receivedAt ? meta : min))
      throw new ApiError(404, 'NOT_FOUND', `no version was received at or before ${new Date(time).toISOString()}`, {
        suggestion: `the oldest retained version was received at ${new Date(oldest.receivedAt).toISOString()}`,
        details: { oldestAvailableId: oldest.id }
      })
    }
    return newest
  }
  return versions[total - 1] as VersionMeta
}
