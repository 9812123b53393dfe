// Where a limit's current window began (contract section 9): walking back from its newest real
// value to the last reset. A reset is a drop of 10 points or more between two consecutive real
// values, or the earlier one's reset instant passing before the later one's `lastUpdated`. A version
// that declares the section missing has no value for it (src/sections.ts), so it is skipped: it is
// neither a value nor a reset, and the values either side of it are consecutive.
import type { Section } from '../sections.js'
import type { VersionMeta } from '../storage/types.js'
import { firstAtOrAfter } from '../history/pages.js'
import { resetInstant } from './reset-time.js'

/** A drop of this many points or more between consecutive values is a reset. */
export const RESET_DROP = 10

export interface Observation {
  value: number
  /** The version's reset instant (from its reset text), epoch ms; null when unknown. */
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
 * What a walk learnt about one version's window: the last reset before it is between `anchor` and
 * the version `startOffset` places after it, and `span` places lie between `anchor` and the version;
 * or, with `resetSeen` false, no reset lies between `anchor`, the oldest real value, and it.
 * Versions never change and new ones arrive after the newest, so this holds while the same versions
 * lie between `anchor` and the version, which is checked by position: an import into the middle of
 * the history, or `anchor` pruned, voids it.
 */
interface WindowMemo {
  anchor: VersionMeta
  span: number
  startOffset: number
  resetSeen: boolean
}

// Every this many real values a walk leaves a memo, so a later walk through the same window (a
// forecast of now after a new version, or at another `at`) stops at the first it meets. Sparse,
// so the memory stays small beside the history itself.
const CHECKPOINT = 256
const memos = new Map<string, WeakMap<VersionMeta, WindowMemo>>()

function memosOf (section: Section, timeZone: string): WeakMap<VersionMeta, WindowMemo> {
  const key = `${timeZone}\u0000${section.path}`
  let memo = memos.get(key)
  if (memo === undefined) memos.set(key, memo = new WeakMap())
  return memo
}

/** The window `memo` names for the version at `index`, or null when it no longer holds. */
function windowFromMemo (list: readonly VersionMeta[], section: Section, index: number, memo: WindowMemo): Window | null {
  const anchorIndex = firstAtOrAfter(list, memo.anchor.id)
  if (list[anchorIndex] !== memo.anchor || index - anchorIndex !== memo.span) return null
  if (!memo.resetSeen) {
    // Still the oldest real value: nothing imported before it since.
    for (let before = 0; before < anchorIndex; before++) if (valueOf(list[before] as VersionMeta, section) !== undefined) return null
  }
  return { start: anchorIndex + memo.startOffset, resetSeen: memo.resetSeen }
}

export interface Window {
  /** The index of the window's first version (the first real value after the last reset). */
  start: number
  /** False when no reset was seen: the window reaches past the oldest retained version. */
  resetSeen: boolean
}

/**
 * The window of the real value at `newest`, walking back from it only as far as the last reset,
 * or the first memo of an earlier walk through the same window.
 */
export function walkWindow (list: readonly VersionMeta[], section: Section, newest: number, timeZone: string): Window {
  const memo = memosOf(section, timeZone)
  const checkpoints: number[] = []
  let walked = 0
  const remember = (anchorIndex: number, window: Window): Window => {
    const anchor = list[anchorIndex] as VersionMeta
    for (const index of checkpoints) {
      memo.set(list[index] as VersionMeta, { anchor, span: index - anchorIndex, startOffset: window.start - anchorIndex, resetSeen: window.resetSeen })
    }
    return window
  }

  let laterIndex = newest
  const newestMeta = list[newest] as VersionMeta
  let later = observe(newestMeta, section, valueOf(newestMeta, section) as number, timeZone)
  for (let index = newest; index >= 0; index--) {
    const meta = list[index] as VersionMeta
    const value = valueOf(meta, section)
    if (value === undefined) continue
    if (index !== newest) {
      const earlier = observe(meta, section, value, timeZone)
      if (isReset(earlier, later)) return remember(index, { start: laterIndex, resetSeen: true })
      later = earlier
      laterIndex = index
    }
    // Only once the pair above is known to be no reset: this version's window is then the newest's.
    const known = memo.get(meta)
    if (known !== undefined) {
      const window = windowFromMemo(list, section, index, known)
      if (window !== null) return remember(window.start - known.startOffset, window)
    }
    if (walked++ % CHECKPOINT === 0) checkpoints.push(index)
  }
  return remember(laterIndex, { start: laterIndex, resetSeen: false })
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
