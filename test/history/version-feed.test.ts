import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { VersionStore } from '../../src/storage/index.js'
import { openVersionFeed } from '../../src/history/version-feed.js'
import { quietLog, samplePayload, tempDir } from '../helper.js'
import { openTestStore } from '../lib/stores.js'

/** A store whose clock moves a second at each reading, so every version has its own second. */
async function openStore (t: Test): Promise<VersionStore> {
  let now = Date.parse('2026-03-01T10:00:00Z')
  const clock = (): number => (now += 1000)
  return await openTestStore(t, await tempDir(t), { retention: { maxVersions: 1000, days: 7 }, clock })
}

interface Sink {
  chunks: string[]
  ended: boolean
  write: (chunk: string) => boolean
  end: () => void
  drained: () => Promise<void>
  /** Resolves once `count` heartbeats have been written. */
  beats: (count: number) => Promise<void>
}

function sink (): Sink {
  let onWrite = (): void => {}
  const state: Sink = {
    chunks: [],
    ended: false,
    write: (chunk) => {
      state.chunks.push(chunk)
      onWrite()
      return true
    },
    drained: async () => {},
    end: () => { state.ended = true },
    beats: (count) => new Promise((resolve) => {
      onWrite = () => { if (state.chunks.filter((chunk) => chunk === ': heartbeat\n\n').length >= count) resolve() }
    })
  }
  return state
}

async function saveMany (store: VersionStore, count: number): Promise<string[]> {
  const saved: string[] = []
  for (let i = 0; i < count; i++) saved.push((await store.save(samplePayload(i))).version.id)
  return saved
}

const ids = (chunks: string[]): string[] => chunks.flatMap((chunk) => /^event: version\nid: (\S+)/.exec(chunk)?.[1] ?? [])

t.test('a heartbeat comment goes out on the interval until the feed closes', async (t) => {
  const store = await openStore(t)
  const out = sink()
  const beats = out.beats(3)
  // The feed's timer is unref'd (it must not hold a closing process open): hold this one open meanwhile.
  const keepAlive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(keepAlive))
  const feed = openVersionFeed({ store, lastEventId: undefined, sink: out, heartbeatMs: 20, stallMs: 30_000, log: quietLog })
  await beats
  feed.close()
  t.equal(out.chunks[0], ': connected\n\n')
  t.ok(out.chunks.slice(1).every((chunk) => chunk === ': heartbeat\n\n'), 'heartbeats are comments')
  t.equal(out.ended, true, 'closing ends the stream')
  const count = out.chunks.length
  await store.save(samplePayload(5))
  await sleep(50)
  t.equal(out.chunks.length, count, 'nothing is written after close')
})

t.test('versions stored during a replay follow it, each once and in order', async (t) => {
  const store = await openStore(t)
  const saved = await saveMany(store, 30)
  const out = sink()
  const feed = openVersionFeed({ store, lastEventId: saved[4], sink: out, heartbeatMs: 60_000, stallMs: 30_000, log: quietLog })
  // The replay reads payloads asynchronously; these land while it runs.
  const during = Promise.all([store.save(samplePayload(50)), store.save(samplePayload(51))])
  await feed.ready
  // Listeners run as a save commits, before it resolves: its event is written by now.
  for (const { version } of await during) saved.push(version.id)
  feed.close()
  t.same(ids(out.chunks), saved.slice(5))
})

t.test('a last id that is the newest replays nothing; one between versions replays what follows', async (t) => {
  const store = await openStore(t)
  const saved = await saveMany(store, 3)
  const newest = sink()
  const atEnd = openVersionFeed({ store, lastEventId: saved[2], sink: newest, heartbeatMs: 60_000, stallMs: 30_000, log: quietLog })
  await atEnd.ready
  atEnd.close()
  t.same(newest.chunks, [': connected\n\n'])

  // An id no version has, between the first and the second (a version moved aside as damaged).
  const gap = `${(saved[0] as string).slice(0, -8)}${'f'.repeat(8)}`
  const out = sink()
  const feed = openVersionFeed({ store, lastEventId: gap, sink: out, heartbeatMs: 60_000, stallMs: 30_000, log: quietLog })
  await feed.ready
  feed.close()
  t.same(ids(out.chunks), saved.slice(1))
})

t.test('the replay waits while the client is not reading, and a stream full for stallMs is closed', async (t) => {
  const store = await openStore(t)
  const saved = await saveMany(store, 30)
  const chunks: string[] = []
  let ended = false
  // A client that never reads: after the first chunk, the buffer is full and never drains.
  const full = {
    write: (chunk: string): boolean => { chunks.push(chunk); return false },
    end: () => { ended = true },
    drained: () => new Promise<void>(() => {})
  }
  const keepAlive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(keepAlive))
  const feed = openVersionFeed({ store, lastEventId: saved[0], sink: full, heartbeatMs: 60_000, stallMs: 300, log: quietLog })
  t.teardown(feed.close)
  await sleep(100)
  t.ok(ids(chunks).length <= 1, `the replay stops at a full buffer (${ids(chunks).length} of 29 versions written)`)
  for (let waited = 0; waited < 3000 && !ended; waited += 50) await sleep(50)
  t.equal(ended, true, 'the stream whose buffer stayed full is closed')
})
