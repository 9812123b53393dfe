// Where a limit's current window began (contract section 9): walking back from its newest real
// value to the last reset. A reset is a drop of 10 points or more between two consecutive real
// values, or the earlier one's reset instant passing before the later one's `lastUpdated`. A version
// that declares the section missing has no value for it (src/sections.ts), so it is skipped: it is
// neither a value nor a reset, and the values either side of it are consecutive.
import type { Section } from '../sections.js'
import type { VersionMeta } from '../storage/types.js'
import { resetInstant } from './reset-time.js'

/** A drop of this many points or more between consecutive values is a reset. */
export const RESET_DROP = 10

export interface Observation {
  value: number
  /** The earlier value's reset instant, epoch ms; null when unknown. */
  resetsAt: number | null
  /** The version's `lastUpdated`, epoch ms; null when unknown. */
  lastUpdated: number | null
}

/** True when a reset happened between two consecutive real values of a limit. */
export function isReset (earlier: Observation, later: Observation): boolean {
  if (earlier.value - later.value >= RESET_DROP) return true
  return earlier.resetsAt !== null && later.lastUpdated !== null && earlier.resetsAt < later.lastUpdated
}

/** A version's real value of `section`, or undefined when it declares the section missing or lacks it. */
export function valueOf (meta: VersionMeta, section: Section): number | undefined {
  return Object.hasOwn(meta.numbers, section.percentPath) ? meta.numbers[section.percentPath] : undefined
}

export function observe (meta: VersionMeta, section: Section, value: number, timeZone: string): Observation {
  const lastUpdated = meta.lastUpdated === null ? null : Date.parse(meta.lastUpdated)
  const text = meta.resetsIn[section.path]
  return {
    value,
    resetsAt: text === undefined ? null : resetInstant(text, meta.lastUpdated, timeZone),
    lastUpdated: lastUpdated !== null && Number.isFinite(lastUpdated) ? lastUpdated : null
  }
}

/**
 * Walks back from the real value at `newest` to the first real value of its window. `visit` sees
 * each real value of the window, newest first, and may stop the walk's reporting early by
 * returning false (the walk itself continues to the reset). Returns the index of the window's first
 * version, and whether a reset was seen (when not, the window reaches past the oldest retained one).
 */
export function walkWindow (
  list: readonly VersionMeta[],
  section: Section,
  newest: number,
  timeZone: string,
  visit: (meta: VersionMeta, value: number) => boolean = () => true
): { start: number, resetSeen: boolean } {
  let laterIndex = newest
  const newestMeta = list[newest] as VersionMeta
  let later = observe(newestMeta, section, valueOf(newestMeta, section) as number, timeZone)
  let visiting = visit(newestMeta, later.value)
  for (let index = newest - 1; index >= 0; index--) {
    const meta = list[index] as VersionMeta
    const value = valueOf(meta, section)
    if (value === undefined) continue
    const earlier = observe(meta, section, value, timeZone)
    if (isReset(earlier, later)) return { start: laterIndex, resetSeen: true }
    if (visiting) visiting = visit(meta, value)
    later = earlier
    laterIndex = index
  }
  return { start: laterIndex, resetSeen: false }
}

/** Every observed reset of `section` among `list[0..end]`: the index of the first real value after each, oldest first. */
export function observedResets (list: readonly VersionMeta[], section: Section, end: number, timeZone: string): number[] {
  const resets: number[] = []
  let earlier: Observation | null = null
  for (let index = 0; index <= end && index < list.length; index++) {
    const meta = list[index] as VersionMeta
    const value = valueOf(meta, section)
    if (value === undefined) continue
    const later = observe(meta, section, value, timeZone)
    if (earlier !== null && isReset(earlier, later)) resets.push(index)
    earlier = later
  }
  return resets
}
