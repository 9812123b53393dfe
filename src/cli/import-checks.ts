// What `usage-vault import` checks of each version before anything is written (contract section 7):
// the payload as a POST body is checked (the schema and the partial-scrape rule of
// src/schemas/payload.ts, the 64 KiB limit), nesting within reason, a well-formed id that names the
// second of its receipt time, and neither more than a minute in the future (a version from the
// future would hold the id clock and the receipt times there, and retention would never delete again).
import { BODY_LIMIT_BYTES } from '../server-options.js'
import { idSecond, isVersionId, MAX_FUTURE_MS } from '../storage/ids.js'
import { MAX_PAYLOAD_DEPTH, nestingDepth } from '../storage/payload.js'
import { payloadProblem } from '../schemas/payload.js'

export interface CandidateVersion {
  id: unknown
  receivedAt: number
  payload: unknown
}

/** Why the version must not be imported, or null. Field names in the reason start with `payload`. */
export function importProblem (version: CandidateVersion, now: number): string | null {
  const { id, receivedAt, payload } = version
  if (typeof id !== 'string' || !isVersionId(id)) return `id ${JSON.stringify(id)} is not a version id (YYYY-MM-DDTHH-mm-ss-xxxxxxxx)`
  if (!Number.isFinite(receivedAt)) return 'receivedAt is not an ISO 8601 date-time'
  const iso = new Date(receivedAt).toISOString()
  if (receivedAt > now + MAX_FUTURE_MS) return `receivedAt ${iso} is more than 1 minute in the future`
  if (idSecond(id) > now + MAX_FUTURE_MS) return `id ${id} names a time more than 1 minute in the future`
  if (Math.floor(receivedAt / 1000) * 1000 !== idSecond(id)) return `id ${id} does not name the second of receivedAt ${iso}`
  // Before the schema and the size: both walk the payload, and a deep one must not reach them.
  if (nestingDepth(payload) > MAX_PAYLOAD_DEPTH) return `payload is nested beyond reason (more than ${MAX_PAYLOAD_DEPTH} levels)`
  if (Buffer.byteLength(JSON.stringify(payload)) > BODY_LIMIT_BYTES) return 'payload is over 64 KiB, the limit of a POST body'
  return payloadProblem(payload, 'payload')
}
