// The two files derived from the version files, `_metadata.json` and the latest file, kept in line
// with the store off the acknowledgement's path (contract section 4, "Derived files"): a commit
// asks for them and is answered without waiting; one writer, started a few milliseconds later,
// brings both up to the store's state of the moment it starts, so a burst of commits costs one
// write of each, not one per commit.
//
// Each file is replaced atomically (a temporary file, fsynced, then renamed over it), so a reader
// or a power cut finds the old whole file or the new one, never a torn or empty one: the lifetime
// totals of `_metadata.json` cannot be derived again. The renames are not made durable here (no
// directory fsync): a rename lost to a power cut leaves the older file, which start-up brings in
// line with the version files. Where a write must be durable before something else happens (a
// clean-up, before it deletes), `flush` waits for it and the caller fsyncs the directory.
import { replaceFileDurably } from './durable-file.js'
import type { StoreLog } from './log.js'
import { serialize } from './payload.js'
import type { Statistics, StoredVersion } from './types.js'

export interface DerivedState {
  statistics: Statistics
  latest: StoredVersion | null
}

export interface DerivedFilesOptions {
  metadataFile: string
  latestFile: string
  /** The store's state now: each write takes it as it starts. */
  state: () => DerivedState
  log: StoreLog
}

/**
 * How long a request waits before its write starts, so that the commits of a steady stream of
 * writes share one replacement, and its fsyncs do not land on the next acknowledgement's path.
 */
const GATHER_MS = 20
/** How long a failed background write waits before it is tried again: doubling from the first. */
const FIRST_RETRY_MS = 10
const LAST_RETRY_MS = 5_000

export const statisticsText = (statistics: Statistics): string => JSON.stringify(statistics, null, 2)

export class DerivedFiles {
  readonly #options: DerivedFilesOptions
  /** What changed since the files were last written, and asks for a write. */
  #metadataStale = false
  #latestStale = false
  /** The statistics changed in a way that waits for the next write (or `flush`) rather than asking for one. */
  #metadataBehind = false
  /** The writer running now; it goes on while something is stale. */
  #writing: Promise<void> | null = null
  #lastError: unknown = null
  #retryMs = FIRST_RETRY_MS
  /** The write waiting to start: gathering requests, or after a failure. */
  #timer: NodeJS.Timeout | null = null
  #timerIsRetry = false

  constructor (options: DerivedFilesOptions) {
    this.#options = options
  }

  /** The statistics changed in memory only (a clean-up's time); the next write, or `flush`, carries them. */
  statisticsChanged (): void {
    this.#metadataBehind = true
  }

  /** The store changed: bring the files in line soon, without waiting. */
  request (change: { latest: boolean }): void {
    this.#metadataStale = true
    if (change.latest) this.#latestStale = true
    // A write under way takes the change with it, and one about to start will. A retry waiting
    // after a failure gives way: the write that just succeeded says the fault may be gone.
    if (this.#writing !== null || (this.#timer !== null && !this.#timerIsRetry)) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timerIsRetry = false
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#start()
    }, GATHER_MS)
    this.#timer.unref()
  }

  /** Resolves once the files hold the store's state as of this call; rejects if that write failed. */
  async flush (): Promise<void> {
    if (this.#metadataBehind) this.#metadataStale = true
    this.#start()
    while (this.#writing !== null) await this.#writing
    if (this.#metadataStale || this.#latestStale) throw this.#lastError ?? new Error('the derived files could not be written')
  }

  /** Stops waiting and retrying in the background (the store is closing). */
  stop (): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  #start (): void {
    if (this.#writing !== null || !(this.#metadataStale || this.#latestStale)) return
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    this.#writing = this.#run().finally(() => { this.#writing = null })
  }

  async #run (): Promise<void> {
    while (this.#metadataStale || this.#latestStale) {
      const { statistics, latest } = this.#options.state()
      const writeMetadata = this.#metadataStale
      const writeLatest = this.#latestStale && latest !== null
      this.#metadataStale = false
      this.#latestStale = false
      if (writeMetadata) this.#metadataBehind = false
      // Both settle before the next round, so two replacements of one file never overlap.
      const outcomes = await Promise.allSettled([
        writeMetadata ? replaceFileDurably(this.#options.metadataFile, statisticsText(statistics)) : null,
        writeLatest ? replaceFileDurably(this.#options.latestFile, serialize(latest.payload)) : null
      ])
      const [metadata, latestFile] = outcomes
      if (metadata?.status === 'rejected') this.#metadataStale = true
      if (latestFile?.status === 'rejected') this.#latestStale = true
      const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
      if (failed !== undefined) {
        this.#lastError = failed.reason
        this.#options.log.warn({ err: failed.reason, retryInMs: this.#retryMs }, 'could not update the statistics or the latest file; trying again')
        this.#scheduleRetry()
        return
      }
      this.#lastError = null
      this.#retryMs = FIRST_RETRY_MS
    }
  }

  #scheduleRetry (): void {
    this.#timerIsRetry = true
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#start()
    }, this.#retryMs)
    this.#timer.unref()
    this.#retryMs = Math.min(this.#retryMs * 2, LAST_RETRY_MS)
  }
}
