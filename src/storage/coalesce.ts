// Pieces both stores use around their own engines: a task run one at a time with the calls made
// during a run sharing the next one (clean-ups), and the version listeners, each shielded from the
// others' failures.
import type { StoreLog } from './log.js'
import type { StoredVersion } from './types.js'

export interface Coalesced<T> {
  /** Runs the task now, or (while it runs) once more after it, shared by every call made meanwhile. */
  run: () => Promise<T>
  /** Settles once the running and queued runs have (never rejects). */
  settled: () => Promise<void>
}

export function coalesced<T> (task: () => Promise<T>, refusal: () => Error | null): Coalesced<T> {
  let running: Promise<T> | null = null
  let queued: Promise<T> | null = null
  const run = (): Promise<T> => {
    const refused = refusal()
    if (refused !== null) return Promise.reject(refused)
    if (running === null) {
      running = task().finally(() => { running = null })
      return running
    }
    queued ??= running.catch(() => {}).then(() => {
      queued = null
      return run()
    })
    return queued
  }
  return { run, settled: async () => { await Promise.allSettled([running, queued]) } }
}

export interface VersionListeners {
  add: (listener: (version: StoredVersion) => void) => () => void
  tell: (version: StoredVersion) => void
  clear: () => void
}

export function versionListeners (log: StoreLog): VersionListeners {
  const listeners = new Set<(version: StoredVersion) => void>()
  return {
    add: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    tell: (version) => {
      for (const listener of listeners) {
        // A listener's failure is its own: the version is stored and answered, and the others still hear.
        try {
          listener(version)
        } catch (error) {
          log.error({ err: error, id: version.meta.id }, 'a version listener failed')
        }
      }
    },
    clear: () => { listeners.clear() }
  }
}
