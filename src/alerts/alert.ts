// What an alert says (the body of contract section 10) and how its id is made: from what the alert
// is about, never from when it was noticed, so the same alert raised twice (after a restart, by
// another instance, by the start-up re-check) records once and is delivered once.
import { createHash } from 'node:crypto'
import type { AlertRecord } from '../storage/types.js'

export type AlertKind = 'threshold' | 'forecast' | 'stale' | 'storage' | 'recovered' | 'test'

/** The fields of the delivered body; those that do not apply to a kind are null. */
export type AlertBody = Pick<AlertRecord, 'id' | 'kind' | 'limit' | 'threshold' | 'percentageUsed' | 'resetsAt' | 'projectedFullAt' | 'versionId' | 'message' | 'createdAt'>

/** An alert as a rule raises it: the body but for the time it is recorded. */
export type RaisedAlert = Omit<AlertBody, 'createdAt'> & { kind: AlertKind }

/** `<kind>-<16 hex digits>`: a hash of the kind and what identifies the occurrence; also a safe file name. */
export function alertId (kind: AlertKind, ...about: Array<string | number | null>): string {
  return `${kind}-${createHash('sha256').update(JSON.stringify([kind, ...about])).digest('hex').slice(0, 16)}`
}

export const bodyOf = (record: AlertBody): AlertBody => ({
  id: record.id,
  kind: record.kind,
  limit: record.limit,
  threshold: record.threshold,
  percentageUsed: record.percentageUsed,
  resetsAt: record.resetsAt,
  projectedFullAt: record.projectedFullAt,
  versionId: record.versionId,
  message: record.message,
  createdAt: record.createdAt
})

/** An alert about the service rather than a limit: every usage field null. */
export function serviceAlert (id: string, kind: AlertKind, message: string, versionId: string | null = null): RaisedAlert {
  return { id, kind, limit: null, threshold: null, percentageUsed: null, resetsAt: null, projectedFullAt: null, versionId, message }
}

/** A new record: due at once, not yet attempted. */
export function newRecord (alert: RaisedAlert, now: number): AlertRecord {
  return { ...alert, createdAt: new Date(now).toISOString(), attempts: 0, nextAttemptAt: now, deliveredAt: null, lastError: null }
}
