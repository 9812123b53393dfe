// What a read shows of a partial scrape: each section the version declares missing is shown with
// the newest real reading of that section from an earlier version (by id), so a reader keeps the
// last real number instead of a placeholder 0 %; `carriedOver` names the version each came from.
// Built from what the store keeps in memory (numbers and reset texts); no version file is read.
import { SECTIONS, missingSections, type SectionPath } from '../sections.js'
import type { Payload, StoredVersion, VersionMeta } from '../storage/types.js'
import { firstAtOrAfter } from './pages.js'

/** Section path -> id of the version its shown value comes from. */
export type CarriedOver = Partial<Record<SectionPath, string>>

export interface ShownPayload {
  /** The stored payload, or a copy with the carried sections put in place of the missing ones. */
  payload: Payload
  /** Null when nothing was carried over (no section missing, or none with an earlier real value). */
  carriedOver: CarriedOver | null
}

function withSection (payload: Payload, path: SectionPath, value: { resetsIn: string, percentageUsed: number }): Payload {
  if (path === 'currentSession') return { ...payload, currentSession: value }
  const weekly = payload.weeklyLimits
  const entries = weekly !== null && typeof weekly === 'object' && !Array.isArray(weekly) ? weekly : {}
  const key = path === 'weeklyLimits.allModels' ? 'allModels' : 'sonnetOnly'
  return { ...payload, weeklyLimits: { ...entries, [key]: value } }
}

/** `version` as a read shows it, among `versions` (every retained version, sorted by id). */
export function carryOver (version: StoredVersion, versions: readonly VersionMeta[]): ShownPayload {
  const missing = missingSections(version.payload)
  if (missing.size === 0) return { payload: version.payload, carriedOver: null }
  const wanted = SECTIONS.filter(({ path }) => missing.has(path))
  let payload = version.payload
  const carriedOver: CarriedOver = {}
  let found = 0
  // Newest first, so the first real reading met is the newest one; stops once every section has one.
  for (let index = firstAtOrAfter(versions, version.meta.id) - 1; index >= 0 && found < wanted.length; index--) {
    const meta = versions[index] as VersionMeta
    for (const { path, percentPath } of wanted) {
      if (carriedOver[path] !== undefined) continue
      const percentageUsed = Object.hasOwn(meta.numbers, percentPath) ? meta.numbers[percentPath] : undefined
      const resetsIn = meta.resetsIn[path]
      // numbers and resetsIn both leave out a section that version declared missing.
      if (percentageUsed === undefined || resetsIn === undefined) continue
      payload = withSection(payload, path, { resetsIn, percentageUsed })
      carriedOver[path] = meta.id
      found++
    }
  }
  // Put back in the table's order, whatever order they were found in.
  if (found === 0) return { payload: version.payload, carriedOver: null }
  const ordered: CarriedOver = {}
  for (const { path } of wanted) if (carriedOver[path] !== undefined) ordered[path] = carriedOver[path]
  return { payload, carriedOver: ordered }
}
