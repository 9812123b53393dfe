// How a payload is written to disk and compared. The text format is the earlier server's
// (two-space JSON), so operators reading the folder by hand see what they always saw.
import { SECTIONS, missingSections, readingOf, type SectionPath } from '../sections.js'
import type { Payload } from './types.js'

export function serialize (payload: Payload): string {
  return JSON.stringify(payload, null, 2)
}

/** JSON with keys in a fixed order, so two equal payloads compare equal as strings. */
export function canonical (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value)
}

/** Every finite number in the payload's objects, by dot path (`weeklyLimits.allModels.percentageUsed`),
 * but none inside a section the payload declares missing: its placeholder 0 is no reading. */
export function numericLeaves (payload: Payload): Record<string, number> {
  const found: Record<string, number> = {}
  const missing: ReadonlySet<string> = missingSections(payload)
  const walk = (value: unknown, path: string): void => {
    if (missing.has(path)) return
    if (typeof value === 'number' && Number.isFinite(value)) found[path] = value
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`)
    }
  }
  walk(payload, '')
  return found
}

/** The reset text of each section the payload really has. */
export function resetTexts (payload: Payload): Partial<Record<SectionPath, string>> {
  const missing = missingSections(payload)
  const found: Partial<Record<SectionPath, string>> = {}
  for (const { path } of SECTIONS) {
    const reading = readingOf(payload, path, missing)
    if (reading !== null) found[path] = reading.resetsIn
  }
  return found
}

export function isPayload (value: unknown): value is Payload {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function lastUpdatedOf (payload: Payload): string | null {
  return typeof payload.lastUpdated === 'string' ? payload.lastUpdated : null
}
