// How a payload is written to disk and compared. The text format is the earlier server's
// (two-space JSON), so operators reading the folder by hand see what they always saw.
import { SECTIONS, missingSections, readingOf, type SectionPath } from '../sections.js'
import type { Payload } from './types.js'

export function serialize (payload: Payload): string {
  return JSON.stringify(payload, null, 2)
}

type Piece = { text: string } | { value: unknown }

/**
 * JSON with keys in a fixed order, so two equal payloads compare equal as strings. Built with a
 * stack of its own rather than by recursion: a value nested thousands deep (a hostile import, a
 * damaged file) must not overflow the call stack.
 */
export function canonical (value: unknown): string {
  const out: string[] = []
  const pending: Piece[] = [{ value }]
  for (let piece = pending.pop(); piece !== undefined; piece = pending.pop()) {
    if ('text' in piece) {
      out.push(piece.text)
      continue
    }
    const current = piece.value
    if (Array.isArray(current)) {
      // Pushed in reverse, so they come off the stack in order: `[`, item 0, `,`, item 1, ... `]`.
      pending.push({ text: ']' })
      for (let index = current.length - 1; index >= 0; index--) {
        pending.push({ value: current[index] })
        if (index > 0) pending.push({ text: ',' })
      }
      pending.push({ text: '[' })
    } else if (current !== null && typeof current === 'object') {
      const keys = Object.keys(current).sort()
      pending.push({ text: '}' })
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index] as string
        pending.push({ value: (current as Record<string, unknown>)[key] })
        pending.push({ text: `${index > 0 ? ',' : ''}${JSON.stringify(key)}:` })
      }
      pending.push({ text: '{' })
    } else {
      out.push(JSON.stringify(current))
    }
  }
  return out.join('')
}

/** Levels of arrays and objects in `value` (0 for a plain value), counted without recursion. */
export function nestingDepth (value: unknown): number {
  let deepest = 0
  const pending: Array<[unknown, number]> = [[value, 0]]
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    const [current, depth] = entry
    if (current === null || typeof current !== 'object') continue
    const level = depth + 1
    if (level > deepest) deepest = level
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') pending.push([child, level])
    }
  }
  return deepest
}

/** A stored payload deeper than this is damaged: a snapshot has three levels. */
export const MAX_PAYLOAD_DEPTH = 32

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
