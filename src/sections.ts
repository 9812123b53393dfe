// The three usage limits a snapshot reports, and which of them a partial scrape declares missing
// (contract section 5, "Partial scrapes"). A declared-missing section carries a placeholder, not a
// reading: series, forecasts, alerts, metrics and the page must skip it, never read it as 0 %.
// Everything that names a limit takes its names from the one table here.
import type { Payload } from './storage/types.js'

export interface Section {
  /** Dot path of the section in a payload, and its key in `versionInfo.carriedOver`. */
  path: 'currentSession' | 'weeklyLimits.allModels' | 'weeklyLimits.sonnetOnly'
  /** The key the scraper uses for it in `extractionErrors`. */
  errorKey: 'currentSession' | 'allModels' | 'sonnetOnly'
  /** Its key among the forecast's limits (contract section 9). */
  forecastKey: 'currentSession' | 'weeklyAllModels' | 'weeklySonnet'
  /** Its `limit` label in metrics (contract section 11). */
  metricLabel: 'session' | 'weekly_all_models' | 'weekly_sonnet'
  /** The path of its percentage among a version's numbers. */
  percentPath: string
}

const section = (path: Section['path'], errorKey: Section['errorKey'], forecastKey: Section['forecastKey'], metricLabel: Section['metricLabel']): Section =>
  ({ path, errorKey, forecastKey, metricLabel, percentPath: `${path}.percentageUsed` })

export const SECTIONS: readonly Section[] = [
  section('currentSession', 'currentSession', 'currentSession', 'session'),
  section('weeklyLimits.allModels', 'allModels', 'weeklyAllModels', 'weekly_all_models'),
  section('weeklyLimits.sonnetOnly', 'sonnetOnly', 'weeklySonnet', 'weekly_sonnet')
]

export type SectionPath = Section['path']

/** The value at a dot path of a payload, or undefined. */
export function atPath (payload: Payload, path: string): unknown {
  let value: unknown = payload
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** The sections this payload declares missing (named in its `extractionErrors`), or did not send at all. */
export function missingSections (payload: Payload): Set<SectionPath> {
  const errors = payload.extractionErrors
  const declared = errors !== null && typeof errors === 'object' && !Array.isArray(errors)
    ? errors as Record<string, unknown>
    : {}
  const missing = new Set<SectionPath>()
  for (const { path, errorKey } of SECTIONS) {
    if (Object.hasOwn(declared, errorKey) || atPath(payload, path) === undefined) missing.add(path)
  }
  return missing
}

/** A section's reading in a payload, or null when it is missing there. */
export interface Reading {
  percentageUsed: number
  resetsIn: string
}

export function readingOf (payload: Payload, path: SectionPath, missing = missingSections(payload)): Reading | null {
  if (missing.has(path)) return null
  const value = atPath(payload, path)
  if (value === null || typeof value !== 'object') return null
  const { percentageUsed, resetsIn } = value as Record<string, unknown>
  if (typeof percentageUsed !== 'number' || !Number.isFinite(percentageUsed)) return null
  return { percentageUsed, resetsIn: typeof resetsIn === 'string' ? resetsIn : '' }
}
