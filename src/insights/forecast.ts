// What the history says about each limit at a moment (contract section 9): its newest real value,
// when it resets, the pace of its current window and whether that pace fills it before the reset.
// Reads only what the store keeps in memory per version (numbers, reset texts, times), never a
// version file, and walks back from `at` only as far as the current window goes.
import { firstIndexWhere } from '../history/pages.js'
import { SECTIONS, type Section } from '../sections.js'
import type { VersionMeta } from '../storage/types.js'
import { fitTrend, type Sample } from './rate.js'
import { resetInstant } from './reset-time.js'
import { valueOf, walkWindow } from './windows.js'

export type LimitStatus = 'limit-reached' | 'at-risk' | 'ok' | 'unknown'
export type LimitKey = Section['forecastKey']

export interface Limit {
  percentageUsed: number
  /** Receipt time (ISO) of the version the value comes from. */
  asOf: string
  resetsIn: string
  resetsAt: string | null
  windowStart: string
  ratePerHour: number | null
  projectedFullAt: string | null
  hitsLimitBeforeReset: boolean | null
  status: LimitStatus
}

export interface Forecast {
  generatedAt: string
  basedOn: { id: string, receivedAt: string, lastUpdated: string | null } | null
  limits: Record<LimitKey, Limit | null>
}

export interface ForecastOptions {
  /** Answer from the versions received at or before this instant (epoch ms). */
  at: number
  /** The time of the answer (`generatedAt`). */
  now: number
  /** IANA zone in which wall-clock reset texts are read. */
  timeZone: string
}

const FULL = 100
const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS

/** How far back from a limit's newest value its pace is measured. */
function rateSpan (section: Section): number {
  return section.path === 'currentSession' ? 60 * MINUTE_MS : 24 * HOUR_MS
}

const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * The index of the newest version received at or before `at`, or -1. Receipt times follow the
 * list's (id) order for everything this service stores (and for imports of what it exported), so
 * a binary search finds it; the usual question, "now", needs none.
 */
export function lastReceivedBy (list: readonly VersionMeta[], at: number): number {
  const newest = list[list.length - 1]
  if (newest !== undefined && newest.receivedAt <= at) return list.length - 1
  return firstIndexWhere(list, (meta) => meta.receivedAt > at) - 1
}

function limitOf (list: readonly VersionMeta[], section: Section, end: number, timeZone: string): Limit | null {
  let newest = end
  while (newest >= 0 && valueOf(list[newest] as VersionMeta, section) === undefined) newest--
  if (newest < 0) return null
  const meta = list[newest] as VersionMeta
  const percentageUsed = valueOf(meta, section) as number
  const resetsIn = meta.resetsIn[section.path] ?? ''
  const resetsAt = resetInstant(resetsIn, meta.lastUpdated, timeZone)

  const { start, resetSeen } = walkWindow(list, section, newest, timeZone)
  const since = meta.receivedAt - rateSpan(section)
  const samples: Sample[] = []
  for (let index = newest; index >= start; index--) {
    const version = list[index] as VersionMeta
    if (version.receivedAt < since) break
    const value = valueOf(version, section)
    if (value !== undefined) samples.push({ t: version.receivedAt, value })
  }

  const trend = fitTrend(samples)
  const ratePerHour = trend === null ? null : trend.ratePerHour
  let projectedFullAt: number | null = null
  if (trend !== null && percentageUsed < FULL) {
    const reaches = trend.reaches(FULL)
    // A line that passes 100 before its newest point (values bunched near the top) means any moment now.
    if (reaches !== null) projectedFullAt = Math.max(reaches, meta.receivedAt)
  }
  const hitsLimitBeforeReset = projectedFullAt === null || resetsAt === null ? null : projectedFullAt < resetsAt
  let status: LimitStatus = 'unknown'
  if (percentageUsed >= FULL) status = 'limit-reached'
  else if (hitsLimitBeforeReset === true) status = 'at-risk'
  else if (ratePerHour !== null && resetsAt !== null) status = 'ok'

  return {
    percentageUsed,
    asOf: iso(meta.receivedAt),
    resetsIn,
    resetsAt: resetsAt === null ? null : iso(resetsAt),
    windowStart: iso((list[resetSeen ? start : 0] as VersionMeta).receivedAt),
    ratePerHour,
    projectedFullAt: projectedFullAt === null ? null : iso(projectedFullAt),
    hitsLimitBeforeReset,
    status
  }
}

/** The forecast of every limit from the versions received by `options.at` (`versions` oldest first). */
export function computeForecast (versions: readonly VersionMeta[], options: ForecastOptions): Forecast {
  const end = lastReceivedBy(versions, options.at)
  const limits = {} as Record<LimitKey, Limit | null>
  for (const section of SECTIONS) limits[section.forecastKey] = end < 0 ? null : limitOf(versions, section, end, options.timeZone)
  const based = end < 0 ? null : versions[end] as VersionMeta
  return {
    generatedAt: iso(options.now),
    basedOn: based === null ? null : { id: based.id, receivedAt: iso(based.receivedAt), lastUpdated: based.lastUpdated },
    limits
  }
}
