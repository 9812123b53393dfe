// The refresh coordinator alone: triggers join one pending request, each caller waits on its own
// clock, the request ends with the next version reported or when its last caller has gone, and
// close answers every caller and ends every agent.
import t from 'tap'
import { createRefreshCoordinator, type RefreshRequest } from '../src/refresh-requests.js'
import type { StoredVersion } from '../src/storage/types.js'

/** A version source like the store's onVersion, fed by the test. */
function versionSource (): { onVersion: (listener: (version: StoredVersion) => void) => () => void, store: (id: string) => void, listeners: () => number } {
  const listeners = new Set<(version: StoredVersion) => void>()
  return {
    onVersion: (listener) => { listeners.add(listener); return () => { listeners.delete(listener) } },
    store: (id) => { for (const listener of [...listeners]) listener({ meta: { id, receivedAt: 0, lastUpdated: null, size: 1, numbers: {}, resetsIn: {} }, payload: {} }) },
    listeners: () => listeners.size
  }
}

// The coordinator's timers are unref'd (a server's sockets keep it alive); here, this does.
const keepAlive = setInterval(() => {}, 1000)
t.teardown(() => { clearInterval(keepAlive) })

function agent (): { asked: RefreshRequest[], ended: boolean, ask: (request: RefreshRequest) => void, end: () => void } {
  const state = { asked: [] as RefreshRequest[], ended: false, ask: (request: RefreshRequest) => { state.asked.push(request) }, end: () => { state.ended = true } }
  return state
}

t.test('no agent: no-agent, and nothing listens for versions', async (t) => {
  const source = versionSource()
  const coordinator = createRefreshCoordinator({ onVersion: source.onVersion })
  t.same(await coordinator.trigger(1000), { kind: 'no-agent' })
  t.equal(source.listeners(), 0)
})

t.test('triggers join one request; the next version answers all; the next trigger asks anew', async (t) => {
  const source = versionSource()
  const coordinator = createRefreshCoordinator({ onVersion: source.onVersion, now: () => Date.parse('2026-03-01T10:00:00Z') })
  const one = agent()
  coordinator.connect(one)
  const waiting = [coordinator.trigger(60_000), coordinator.trigger(60_000), coordinator.trigger(60_000)]
  t.equal(one.asked.length, 1, 'one refresh event for three triggers')
  t.equal(one.asked[0]?.requestedAt, '2026-03-01T10:00:00.000Z')
  source.store('v1')
  for (const outcome of await Promise.all(waiting)) t.match(outcome, { kind: 'stored', version: { id: 'v1' }, request: one.asked[0] })
  t.equal(source.listeners(), 0, 'done listening')
  const next = coordinator.trigger(60_000)
  t.equal(one.asked.length, 2)
  t.not(one.asked[1]?.id, one.asked[0]?.id)
  source.store('v2')
  t.match(await next, { kind: 'stored', version: { id: 'v2' } })
})

t.test('each caller times out on its own; the last one gone ends the request', async (t) => {
  const source = versionSource()
  const coordinator = createRefreshCoordinator({ onVersion: source.onVersion })
  const one = agent()
  const two = agent()
  coordinator.connect(one)
  const disconnect = coordinator.connect(two)
  const short = coordinator.trigger(0)
  const long = coordinator.trigger(60_000)
  t.match(await short, { kind: 'timeout', agents: 2 })
  disconnect()
  t.equal(coordinator.agents(), 1)
  source.store('v1')
  t.match(await long, { kind: 'stored', version: { id: 'v1' } }, 'the longer wait is still answered')
  t.match(await coordinator.trigger(0), { kind: 'timeout', agents: 1 })
  t.equal(source.listeners(), 0, 'no request left pending')
  t.equal(two.asked.length, 1, 'a disconnected agent is not asked again')
})

t.test('close answers waiting callers "closing" and ends agents, new ones too', async (t) => {
  const source = versionSource()
  const coordinator = createRefreshCoordinator({ onVersion: source.onVersion })
  const one = agent()
  coordinator.connect(one)
  const waiting = coordinator.trigger(60_000)
  coordinator.close()
  t.same(await waiting, { kind: 'closing' })
  t.ok(one.ended)
  const late = agent()
  coordinator.connect(late)
  t.ok(late.ended, 'an agent connecting during the close is ended at once')
  t.same(await coordinator.trigger(1000), { kind: 'closing' })
})
