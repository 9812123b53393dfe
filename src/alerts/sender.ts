// Delivery that loses nothing (contract section 10): an alert is recorded in the outbox before its
// first attempt, then POSTed with a timeout, and retried with a doubling backoff until it is
// delivered or a day has passed. Each attempt is claimed first, so two senders (two instances on one
// database) never send one alert at the same time, and an alert settled as delivered is never
// claimed again. Timers are unref'd; close waits briefly for attempts in flight, then aborts them
// (an aborted attempt is retried after the restart, with the same id).
import type { AlertOutbox, AlertRecord } from '../storage/types.js'
import { newRecord, type AlertBody, type RaisedAlert } from './alert.js'
import { deliveryRequest, type AlertFormat } from './formats.js'
import { memoryOutbox } from './memory-outbox.js'

export interface AlertTarget {
  url: string
  format: AlertFormat
  secret?: string
}

export interface DeliveryTimings {
  /** The wait after the first failed attempt; it doubles after each one. */
  firstRetryMs: number
  maxRetryMs: number
  /** No attempt is made once an alert is this old: it is given up. */
  giveUpMs: number
  /** One attempt's limit: connection, answer and body. */
  timeoutMs: number
  /** How often the outbox is read for alerts no timer holds (another instance's, or a failed settle). */
  sweepMs: number
  /** How long close waits for attempts in flight before it aborts them. */
  closeGraceMs: number
}

export const DEFAULT_TIMINGS: DeliveryTimings = {
  firstRetryMs: 1_000,
  maxRetryMs: 5 * 60_000,
  giveUpMs: 24 * 60 * 60_000,
  timeoutMs: 10_000,
  sweepMs: 60_000,
  closeGraceMs: 1_000
}

export interface AttemptResult {
  delivered: boolean
  /** The receiver's HTTP status; null when no answer came. */
  status: number | null
  error: string | null
}

export interface SenderLog {
  info: (fields: object, message: string) => void
  warn: (fields: object, message: string) => void
  error: (fields: object, message: string) => void
}

export interface SenderOptions {
  outbox: AlertOutbox
  target: AlertTarget
  timings?: Partial<DeliveryTimings>
  log: SenderLog
  /** Told of every attempt's outcome (the metrics count them). */
  onAttempt?: (kind: string, delivered: boolean) => void
  clock?: () => number
}

export interface Sender {
  /** Records the alert (once per id) and sends it; resolves once it is recorded, not delivered. */
  raise: (alert: RaisedAlert) => Promise<void>
  /** Whether an alert with this id was recorded (by any sender on this outbox, or from memory here). */
  recorded: (id: string) => Promise<boolean>
  /** Sends the alerts the outbox still holds (at start: what an earlier run left). */
  resume: () => Promise<void>
  /** One attempt now, recorded nowhere: the test alert. */
  sendOnce: (alert: AlertBody) => Promise<AttemptResult>
  /** The recent alerts, newest first, recorded ones and any kept only in memory. */
  recent: (limit: number) => Promise<AlertRecord[]>
  close: () => Promise<void>
}

/** The wait before the next attempt, after `attempts` failed ones: first, doubling, at most max. */
export const backoffMs = (attempts: number, timings: Pick<DeliveryTimings, 'firstRetryMs' | 'maxRetryMs'>): number =>
  Math.min(timings.maxRetryMs, timings.firstRetryMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30))

export function createSender (options: SenderOptions): Sender {
  const { outbox, target, log } = options
  const timings = { ...DEFAULT_TIMINGS, ...options.timings }
  const clock = options.clock ?? Date.now
  const unrecorded = memoryOutbox(clock)
  const timers = new Map<string, { timer: NodeJS.Timeout, box: AlertOutbox }>()
  const inFlight = new Set<Promise<void>>()
  const aborts = new Set<AbortController>()
  let closed = false

  const post = async (alert: AlertBody): Promise<AttemptResult> => {
    const { body, headers } = deliveryRequest(alert, target.format, target.secret)
    const abort = new AbortController()
    aborts.add(abort)
    const timeout = setTimeout(() => { abort.abort(new Error(`no answer within ${timings.timeoutMs} ms`)) }, timings.timeoutMs)
    timeout.unref()
    try {
      const response = await fetch(target.url, { method: 'POST', body, headers, redirect: 'manual', signal: abort.signal })
      // The body is read (and dropped) within the timeout too, so the connection is free again.
      await response.arrayBuffer()
      const delivered = response.status >= 200 && response.status < 300
      return { delivered, status: response.status, error: delivered ? null : `HTTP ${response.status}` }
    } catch (error) {
      const reason = abort.signal.aborted ? abort.signal.reason as unknown : error
      const cause = (error as { cause?: { code?: string } }).cause?.code
      return { delivered: false, status: null, error: reason instanceof Error ? reason.message : cause ?? String(reason) }
    } finally {
      clearTimeout(timeout)
      aborts.delete(abort)
    }
  }

  const schedule = (box: AlertOutbox, id: string, at: number): void => {
    if (closed) return
    const existing = timers.get(id)
    if (existing !== undefined) clearTimeout(existing.timer)
    const timer = setTimeout(() => {
      timers.delete(id)
      track(attempt(box, id))
    }, Math.max(0, at - clock()))
    timer.unref()
    timers.set(id, { timer, box })
  }

  const track = (work: Promise<void>): void => {
    const run = work.catch((error: unknown) => { log.error({ err: error }, 'alert delivery failed unexpectedly') })
      .finally(() => inFlight.delete(run))
    inFlight.add(run)
  }

  const attempt = async (box: AlertOutbox, id: string): Promise<void> => {
    if (closed) return
    // Held a little past one attempt's timeout: a sender that died holding it frees it soon after.
    const alert = await box.claim(id, timings.timeoutMs + 5_000)
    if (alert === null) {
      // Not due yet by the clock (a timer can fire a moment before Date.now() reaches its time), or
      // held by another sender. The first needs a timer again, or it would wait for the sweep; the
      // holder, or the sweep after its claim lapses, sees to the second.
      const due = (await box.pending()).find((pending) => pending.id === id)?.nextAttemptAt ?? null
      if (due !== null && due > clock()) schedule(box, id, due)
      return
    }
    const result = await post(alert)
    const attempts = alert.attempts + 1
    const now = clock()
    options.onAttempt?.(alert.kind, result.delivered)
    let next: number | null = null
    if (result.delivered) {
      log.info({ alertId: id, kind: alert.kind, attempts, status: result.status }, 'alert delivered')
    } else {
      next = now + backoffMs(attempts, timings)
      if (next - Date.parse(alert.createdAt) > timings.giveUpMs) next = null
      log.warn({ alertId: id, kind: alert.kind, attempts, status: result.status, error: result.error, nextAttemptAt: next }, next === null ? 'alert given up' : 'alert not delivered; will retry')
    }
    try {
      await box.settle(id, { attempts, nextAttemptAt: next, deliveredAt: result.delivered ? new Date(now).toISOString() : null, lastError: result.error })
    } catch (error) {
      // The claim lapses and the sweep tries again; a delivered alert may then be sent a second
      // time, with the same Idempotency-Key.
      log.error({ err: error, alertId: id }, 'could not record the outcome of an alert attempt')
      return
    }
    if (next !== null) schedule(box, id, next)
  }

  /** Schedules the pending alerts no timer holds; returns how many are pending. */
  const sweep = async (box: AlertOutbox, atOnce: boolean): Promise<number> => {
    const pending = await box.pending()
    for (const alert of pending) {
      if (!timers.has(alert.id)) schedule(box, alert.id, atOnce ? clock() : alert.nextAttemptAt ?? clock())
    }
    return pending.length
  }
  const sweeper = setInterval(() => {
    track(Promise.all([sweep(outbox, false), sweep(unrecorded, false)]).then(() => {}))
  }, timings.sweepMs)
  sweeper.unref()

  return {
    raise: async (alert) => {
      if (closed) return
      const record = newRecord(alert, clock())
      let box = outbox
      try {
        if (!await outbox.add(record)) return
      } catch (error) {
        log.error({ err: error, alertId: alert.id, kind: alert.kind }, 'could not record the alert; sending it from memory, not across a restart')
        box = unrecorded
        if (!await box.add(record)) return
      }
      log.info({ alertId: alert.id, kind: alert.kind, limit: alert.limit, threshold: alert.threshold }, 'alert raised')
      schedule(box, record.id, clock())
    },
    recorded: async (id) => (await outbox.recent(500)).some((alert) => alert.id === id) ||
      (await unrecorded.recent(500)).some((alert) => alert.id === id),
    resume: async () => {
      // At once, not at their next time: the receiver may well be back after the restart.
      const pending = await sweep(outbox, true)
      log.info({ pending }, 'pending alerts resumed')
    },
    sendOnce: async (alert) => {
      const result = await post(alert)
      options.onAttempt?.(alert.kind, result.delivered)
      return result
    },
    recent: async (limit) => {
      const all = [...await outbox.recent(limit), ...await unrecorded.recent(limit)]
      return all.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)).slice(0, limit)
    },
    close: async () => {
      closed = true
      clearInterval(sweeper)
      for (const { timer } of timers.values()) clearTimeout(timer)
      timers.clear()
      let grace: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => { grace = setTimeout(resolve, timings.closeGraceMs) })
      ])
      clearTimeout(grace)
      for (const abort of aborts) abort.abort(new Error('the service is closing'))
      await Promise.allSettled([...inFlight])
    }
  }
}
