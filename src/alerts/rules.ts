// When an alert is due (contract section 10), as pure functions of the versions in memory: the
// `threshold` and `forecast` alerts a version raises, and the `stale` alert of a quiet scraper. A
// version that declares a section missing raises nothing for it (src/sections.ts).
//
// Each alert is raised where its condition turns true (a value crossing a threshold upward, a status
// turning at-risk), and its id names the limit's window, so raising it again (a restart's re-check,
// another instance, a dip and a second crossing) records nothing new. The window is named by its
// start when its reset is seen; when the retained history begins inside the window, its start is not
// known (and the oldest retained version moves with retention), so the window is named by the
// version where the condition first held in it instead, which retention removes only after every
// version before it.
import { computeForecast, type Limit } from '../insights/forecast.js'
import { valueOf, walkWindow } from '../insights/windows.js'
import { SECTIONS, type Section } from '../sections.js'
import type { VersionMeta } from '../storage/types.js'
import { alertId, serviceAlert, type RaisedAlert } from './alert.js'

export interface UsageRuleContext {
  versions: readonly VersionMeta[]
  thresholds: readonly number[]
  timeZone: string
}

/** How a limit is named in messages. */
export const LIMIT_NAMES: Record<Section['forecastKey'], string> = {
  currentSession: 'Current session',
  weeklyAllModels: 'Weekly limit (all models)',
  weeklySonnet: 'Weekly limit (Sonnet only)'
}

const percent = (value: number): string => `${Math.round(value * 10) / 10} %`

function resetText (limit: Limit): string {
  if (limit.resetsIn === '') return ''
  const text = limit.resetsIn.replace(/^resets\s+/i, '')
  return `; resets ${/^\d/.test(text) ? `in ${text}` : text}${limit.resetsAt === null ? '' : ` (${limit.resetsAt})`}`
}

/** The index of the newest real value of `section` before `index`, or -1. */
function previousReal (versions: readonly VersionMeta[], section: Section, index: number): number {
  for (let at = index - 1; at >= 0; at--) if (valueOf(versions[at] as VersionMeta, section) !== undefined) return at
  return -1
}

/** The threshold and forecast alerts the version at `index` raises. */
export function usageAlerts (context: UsageRuleContext, index: number): RaisedAlert[] {
  const { versions, thresholds, timeZone } = context
  const version = versions[index]
  if (version === undefined) return []
  const forecast = computeForecast(versions, { at: version.receivedAt, now: version.receivedAt, timeZone })
  const alerts: RaisedAlert[] = []
  for (const section of SECTIONS) {
    const value = valueOf(version, section)
    const limit = forecast.limits[section.forecastKey]
    if (value === undefined || limit === null) continue
    const { start, resetSeen } = walkWindow(versions, section, index, timeZone)
    const previous = previousReal(versions, section, index)
    // A first value of its window, after a reset seen: whatever came before belongs to the last window.
    const opensWindow = resetSeen && start === index
    const previousValue = previous < 0 || opensWindow ? null : valueOf(versions[previous] as VersionMeta, section) as number
    const windowName = (firstHeld: () => VersionMeta): string => resetSeen ? limit.windowStart : `from ${firstHeld().id}`
    const common = {
      limit: section.forecastKey,
      percentageUsed: value,
      resetsAt: limit.resetsAt,
      projectedFullAt: limit.projectedFullAt,
      versionId: version.id
    }

    for (const threshold of thresholds) {
      if (value < threshold || (previousValue !== null && previousValue >= threshold)) continue
      const firstAtOrAbove = (): VersionMeta => {
        for (let at = start; at < index; at++) {
          const earlier = valueOf(versions[at] as VersionMeta, section)
          if (earlier !== undefined && earlier >= threshold) return versions[at] as VersionMeta
        }
        return version
      }
      alerts.push({
        ...common,
        id: alertId('threshold', section.forecastKey, threshold, windowName(firstAtOrAbove)),
        kind: 'threshold',
        threshold,
        message: `${LIMIT_NAMES[section.forecastKey]} is at ${percent(value)}, past the ${percent(threshold)} threshold${resetText(limit)}.`
      })
    }

    if (limit.status === 'at-risk') {
      const before = previousValue === null
        ? null
        : computeForecast(versions, { at: (versions[previous] as VersionMeta).receivedAt, now: version.receivedAt, timeZone }).limits[section.forecastKey]
      if (before?.status !== 'at-risk') {
        alerts.push({
          ...common,
          id: alertId('forecast', section.forecastKey, windowName(() => version)),
          kind: 'forecast',
          threshold: null,
          message: `${LIMIT_NAMES[section.forecastKey]} is at ${percent(value)} and, at ${limit.ratePerHour === null ? 'this pace' : `${Math.round(limit.ratePerHour * 10) / 10} points an hour`}, reaches 100 % at ${limit.projectedFullAt ?? 'an unknown time'}, before it resets${resetText(limit)}.`
        })
      }
    }
  }
  return alerts
}

/** The `stale` alert when nothing arrived for `staleMs`; named by the last version, so it is raised once per silence. */
export function staleAlert (versions: readonly VersionMeta[], now: number, staleMs: number): RaisedAlert | null {
  const newest = versions[versions.length - 1]
  if (newest === undefined || now - newest.receivedAt < staleMs) return null
  const minutes = Math.floor((now - newest.receivedAt) / 60_000)
  return serviceAlert(staleAlertId(newest.id), 'stale',
    `No usage snapshot has arrived for ${minutes} minutes; the last one was received at ${new Date(newest.receivedAt).toISOString()}. Is the scraper running?`,
    newest.id)
}

export const staleAlertId = (lastVersionId: string): string => alertId('stale', lastVersionId)

/** The `recovered` alert once data comes again after the silence that `staleAlertId(previous.id)` named. */
export function dataRecoveredAlert (previous: VersionMeta, version: VersionMeta): RaisedAlert {
  return serviceAlert(alertId('recovered', 'stale', previous.id), 'recovered',
    `Usage snapshots arrive again: ${version.id} was received after ${Math.floor((version.receivedAt - previous.receivedAt) / 60_000)} minutes without one.`,
    version.id)
}

/** The `storage` alert (the service cannot store: /health answers 503), and its `recovered`, named by when the outage was noticed. */
export function storageAlert (down: boolean, since: number, now: number): RaisedAlert {
  const at = new Date(since).toISOString()
  return down
    ? serviceAlert(alertId('storage', at), 'storage', 'usage-vault cannot store snapshots (/health answers 503): the data folder or database does not take writes, or the lock was lost.')
    : serviceAlert(alertId('recovered', 'storage', at), 'recovered', `usage-vault stores snapshots again, after ${Math.max(1, Math.round((now - since) / 60_000))} minutes when it could not.`)
}
