// How a payload is written to disk and compared. The text format is the earlier server's
// (two-space JSON), so operators reading the folder by hand see what they always saw.
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

/** Every finite number in the payload's objects, by dot path (`weeklyLimits.allModels.percentageUsed`). */
export function numericLeaves (payload: Payload): Record<string, number> {
  const found: Record<string, number> = {}
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'number' && Number.isFinite(value)) found[path] = value
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, path === '' ? key : `${path}.${key}`)
    }
  }
  walk(payload, '')
  return found
}

export function isPayload (value: unknown): value is Payload {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function lastUpdatedOf (payload: Payload): string | null {
  return typeof payload.lastUpdated === 'string' ? payload.lastUpdated : null
}
