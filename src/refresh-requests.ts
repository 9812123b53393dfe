// The widget's refresh button, without a scraper in this process: a trigger asks every connected
// scraper agent to scrape now (a `refresh` event on its stream) and waits for the next version the
// store reports, from this instance or any other sharing the history (`onVersion`). Triggers that
// arrive while one is pending join it: one event, every caller answered by the same version. No
// HTTP here: routes/refresh.ts carries the streams and the answers.
import { randomUUID } from 'node:crypto'
import type { VersionMeta, VersionStore } from './storage/types.js'

export interface RefreshRequest {
  id: string
  /** ISO 8601 */
  requestedAt: string
}

/** One connected agent: how to ask it, and how to end its stream. */
export interface RefreshAgent {
  ask: (request: RefreshRequest) => void
  end: () => void
}

export type TriggerOutcome =
  /** A version was stored after the request. */
  | { kind: 'stored', version: VersionMeta, request: RefreshRequest }
  /** Agents were asked, but no version came within the wait. */
  | { kind: 'timeout', agents: number, request: RefreshRequest }
  | { kind: 'no-agent' }
  /** The service is closing: the caller should ask again after the restart. */
  | { kind: 'closing' }

export interface RefreshCoordinator {
  /** Adds an agent; returns the function that removes it (its stream closed). */
  connect: (agent: RefreshAgent) => () => void
  agents: () => number
  /** Asks for a refresh (or joins the one pending) and waits up to `waitMs` for the next stored version. */
  trigger: (waitMs: number) => Promise<TriggerOutcome>
  /** Answers every waiting trigger `closing` and ends every agent's stream. */
  close: () => void
}

interface Pending {
  request: RefreshRequest
  asked: number
  waiters: Set<(outcome: TriggerOutcome) => void>
  unsubscribe: () => void
}

export interface CoordinatorOptions {
  onVersion: VersionStore['onVersion']
  now?: () => number
}

export function createRefreshCoordinator (options: CoordinatorOptions): RefreshCoordinator {
  const now = options.now ?? Date.now
  const agents = new Set<RefreshAgent>()
  let pending: Pending | null = null
  let closed = false

  const settle = (outcome: TriggerOutcome): void => {
    if (pending === null) return
    const { waiters, unsubscribe } = pending
    pending = null
    unsubscribe()
    for (const answer of waiters) answer(outcome)
  }

  const begin = (): Pending => {
    const request: RefreshRequest = { id: randomUUID(), requestedAt: new Date(now()).toISOString() }
    // Listening before anyone is asked: a version cannot be stored between the two unseen.
    const unsubscribe = options.onVersion((version) => settle({ kind: 'stored', version: version.meta, request }))
    const started: Pending = { request, asked: agents.size, waiters: new Set(), unsubscribe }
    pending = started
    for (const agent of agents) agent.ask(request)
    return started
  }

  return {
    connect: (agent) => {
      if (closed) {
        agent.end()
        return () => {}
      }
      agents.add(agent)
      return () => { agents.delete(agent) }
    },
    agents: () => agents.size,
    trigger: async (waitMs) => {
      if (closed) return { kind: 'closing' }
      if (agents.size === 0) return { kind: 'no-agent' }
      const joined = pending ?? begin()
      return await new Promise<TriggerOutcome>((resolve) => {
        const answer = (outcome: TriggerOutcome): void => {
          clearTimeout(timer)
          resolve(outcome)
        }
        const timer = setTimeout(() => {
          joined.waiters.delete(answer)
          // The last caller gone: the next trigger asks again rather than join a request nobody waits on.
          if (joined.waiters.size === 0 && pending === joined) {
            pending = null
            joined.unsubscribe()
          }
          resolve({ kind: 'timeout', agents: joined.asked, request: joined.request })
        }, waitMs)
        timer.unref()
        joined.waiters.add(answer)
      })
    },
    close: () => {
      closed = true
      settle({ kind: 'closing' })
      for (const agent of agents) agent.end()
      agents.clear()
    }
  }
}
