// The one interface through which everything above `src/storage/` reaches stored versions. The
// local-folder store implements it; a shared-database store can implement it too, so nothing here
// speaks of files or paths.
import type { RetentionPlan, RetentionPolicy } from './retention.js'
import type { SectionPath } from '../sections.js'

/** A stored snapshot: the JSON object the scraper sent. */
export type Payload = Record<string, unknown>

/** What the store knows of a version without reading its payload. */
export interface VersionMeta {
  /** The version's id, e.g. `2026-01-25T16-32-31-ca7d685a`; ids sort in the order received. */
  id: string
  /** Receipt time, epoch milliseconds. */
  receivedAt: number
  /** The payload's `lastUpdated`, as sent (null when the payload has none). */
  lastUpdated: string | null
  /** Size of the stored payload in bytes. */
  size: number
  /** Every numeric leaf of the payload by dot path, for series without reading payloads; none from a
   * section the payload declares missing (src/sections.ts). */
  numbers: Record<string, number>
  /** The reset text of each section the payload really has, by section path (forecasts read it from memory). */
  resetsIn: Partial<Record<SectionPath, string>>
}

export interface StoredVersion {
  meta: VersionMeta
  payload: Payload
}

export interface SaveResult {
  version: VersionMeta
  /** True when the payload equalled the latest stored one and nothing new was stored. */
  duplicate: boolean
}

/** The earlier server's six statistics. Times are ISO 8601 strings. */
export interface Statistics {
  versionCount: number
  oldestTimestamp: string | null
  newestTimestamp: string | null
  lastCleanup: string | null
  totalVersionsCreated: number
  totalVersionsDeleted: number
}

export interface StorageHealth {
  /** The store can take writes now (folder writable, lock still held). */
  writable: boolean
  /** Damaged files found and moved aside since the store opened. */
  damaged: number
}

export interface CleanupResult {
  deleted: number
  kept: number
  durationMs: number
}

export interface ImportResult {
  imported: number
  skipped: number
}

export interface VersionStore {
  readonly retention: RetentionPolicy
  /** Alerts recorded durably before delivery (contract section 10). */
  readonly alerts: AlertOutbox
  /** Stores a payload as a new version; resolves once it is durable. */
  save: (payload: Payload) => Promise<SaveResult>
  /** The newest version, from memory. */
  latest: () => StoredVersion | null
  /** Every retained version, oldest first. The array is the store's own: do not change it. */
  list: () => readonly VersionMeta[]
  /** A version's metadata, or null when none has that id. */
  meta: (id: string) => VersionMeta | null
  /** A version with its payload, or null when absent (or found damaged, and moved aside). */
  get: (id: string) => Promise<StoredVersion | null>
  statistics: () => Statistics
  /** Bytes the retained versions take. */
  bytesStored: () => number
  health: () => Promise<StorageHealth>
  planRetention: (now?: number) => RetentionPlan
  /** Applies retention now; concurrent calls share one run. */
  cleanup: () => Promise<CleanupResult>
  /** Adds versions with the ids and receipt times they had elsewhere; ids already present are skipped. */
  importVersions: (versions: AsyncIterable<ImportedVersion> | Iterable<ImportedVersion>) => Promise<ImportResult>
  /** Calls `listener` with each newly stored version; returns the function that stops it. */
  onVersion: (listener: (version: StoredVersion) => void) => () => void
  /** Finishes pending writes and clean-ups, and releases the folder. */
  close: () => Promise<void>
}

export interface ImportedVersion {
  id: string
  receivedAt: number
  payload: Payload
}

/** An alert as the outbox keeps it: the body of contract section 10 and its delivery state. */
export interface AlertRecord {
  /** Stable across attempts, and derived from what the alert is about, so raising it twice records it once. */
  id: string
  kind: string
  limit: string | null
  threshold: number | null
  percentageUsed: number | null
  resetsAt: string | null
  projectedFullAt: string | null
  versionId: string | null
  message: string
  createdAt: string
  attempts: number
  /** Epoch milliseconds of the next attempt; null once delivered or given up. */
  nextAttemptAt: number | null
  deliveredAt: string | null
  lastError: string | null
}

export type AlertDelivery = Pick<AlertRecord, 'attempts' | 'nextAttemptAt' | 'deliveredAt' | 'lastError'>

/** Alerts written durably before their first attempt, so a crash or restart loses none and repeats none. */
export interface AlertOutbox {
  /** Records a new alert durably; false, changing nothing, when one with its id is recorded already. */
  add: (alert: AlertRecord) => Promise<boolean>
  /** Takes an alert for one attempt, so no other sender (another instance) tries it at the same time;
   * null when it is delivered, given up, not yet due or held by another sender. */
  claim: (id: string, holdMs: number) => Promise<AlertRecord | null>
  /** Records the outcome of an attempt durably. */
  settle: (id: string, delivery: AlertDelivery) => Promise<void>
  /** Alerts still to be sent (not delivered, not given up), oldest first. */
  pending: () => Promise<AlertRecord[]>
  /** The newest alerts, newest first. */
  recent: (limit: number) => Promise<AlertRecord[]>
}
