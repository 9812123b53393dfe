// When the rules run: after each stored version (from the store's listener, so the answer to the
// write never waits), on a timer for silence and for the store's health, and once at start for what
// an earlier run may not have finished (a crash between a commit and its alerts). Raising is
// idempotent (ids name what the alert is about), so running a rule twice sends nothing twice.
import type { VersionMeta, VersionStore } from '../storage/types.js'
import { dataRecoveredAlert, staleAlert, staleAlertId, storageAlert, usageAlerts } from './rules.js'
import type { Sender, SenderLog } from './sender.js'

export interface EvaluatorOptions {
  store: Pick<VersionStore, 'list' | 'health'>
  sender: Pick<Sender, 'raise' | 'recorded'>
  thresholds: readonly number[]
  /** 0: no `stale` alerts. */
  staleMs: number
  timeZone: string
  log: SenderLog
  clock?: () => number
}

export interface Evaluator {
  afterVersion: (id: string) => Promise<void>
  checkStale: () => Promise<void>
  checkStorage: () => Promise<void>
  /** The start-up re-check: the versions of the last RECHECK_MS, and silence. */
  atStart: () => Promise<void>
}

/** At start, the versions received this long before the newest are evaluated again... */
export const RECHECK_MS = 15 * 60_000
/** ...unless they are older than this: alerts about them would be old news (and may be cleaned up). */
export const RECHECK_HORIZON_MS = 24 * 60 * 60_000

/** The index of `id` in `versions`, searched from the newest end (where new versions are). */
function indexOf (versions: readonly VersionMeta[], id: string): number {
  for (let index = versions.length - 1; index >= 0; index--) if ((versions[index] as VersionMeta).id === id) return index
  return -1
}

export function createEvaluator (options: EvaluatorOptions): Evaluator {
  const { store, sender, log } = options
  const clock = options.clock ?? Date.now
  let storageDownSince: number | null = null

  const evaluate = async (versions: readonly VersionMeta[], index: number): Promise<void> => {
    const version = versions[index] as VersionMeta
    const raised = usageAlerts({ versions, thresholds: options.thresholds, timeZone: options.timeZone }, index)
    const previous = versions[index - 1]
    if (options.staleMs > 0 && previous !== undefined && version.receivedAt - previous.receivedAt >= options.staleMs &&
      await sender.recorded(staleAlertId(previous.id))) {
      raised.push(dataRecoveredAlert(previous, version))
    }
    for (const alert of raised) await sender.raise(alert)
  }

  const afterVersion = async (id: string): Promise<void> => {
    const versions = store.list()
    const index = indexOf(versions, id)
    if (index >= 0) await evaluate(versions, index)
  }

  const checkStale = async (): Promise<void> => {
    if (options.staleMs <= 0) return
    const alert = staleAlert(store.list(), clock(), options.staleMs)
    if (alert !== null) await sender.raise(alert)
  }

  const checkStorage = async (): Promise<void> => {
    const { writable } = await store.health()
    const now = clock()
    if (!writable && storageDownSince === null) {
      storageDownSince = now
      log.warn({ since: new Date(now).toISOString() }, 'the store cannot take writes')
      await sender.raise(storageAlert(true, now, now))
    } else if (writable && storageDownSince !== null) {
      const since = storageDownSince
      storageDownSince = null
      await sender.raise(storageAlert(false, since, now))
    }
  }

  return {
    afterVersion,
    checkStale,
    checkStorage,
    atStart: async () => {
      const versions = store.list()
      const newest = versions[versions.length - 1]
      const since = newest === undefined ? 0 : Math.max(newest.receivedAt - RECHECK_MS, clock() - RECHECK_HORIZON_MS)
      let first = versions.length
      while (first > 0 && (versions[first - 1] as VersionMeta).receivedAt >= since) first--
      for (let index = first; index < versions.length; index++) await evaluate(versions, index)
      await checkStale()
    }
  }
}
