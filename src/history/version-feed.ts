// The event feed of one client: every version stored while it listens, and, when it reconnects
// with the id of the last event it received, first the versions stored since then. Replay reads
// payloads from the store asynchronously; versions stored meanwhile are held back and sent after,
// each id once and in order. When the client's last id is gone (pruned, or unknown), it gets a
// `reset` event instead: it has missed versions and should read the current state again.
//
// The client's buffer is bounded: when the sink says it is full, the replay waits for it to drain,
// heartbeats are skipped, and a stream whose buffer stays full for `stallMs` is closed.
import type { StoreLog } from '../storage/log.js'
import { isVersionId } from '../storage/ids.js'
import type { StoredVersion, VersionStore } from '../storage/types.js'
import { firstAfter } from './pages.js'
import { sseComment, sseMessage } from './sse.js'

export interface FeedOptions {
  store: Pick<VersionStore, 'list' | 'get' | 'onVersion'>
  /** The client's `Last-Event-ID`, if it sent one. */
  lastEventId: string | undefined
  /** The stream to the client; the feed stops writing once closed, and ends it on close. `write`
   * returns false when the client's buffer is full; `drained` resolves once it has room again. */
  sink: { write: (chunk: string) => boolean, end: () => void, drained: () => Promise<void> }
  heartbeatMs: number
  /** How long the buffer may stay full before the stream is closed. */
  stallMs: number
  log: StoreLog
}

export interface VersionFeed {
  /** Resolves when the replay (if any) has been written. */
  ready: Promise<void>
  /** Stops the feed and ends the stream (the client disconnected, or the server closes). */
  close: () => void
}

export function versionEvent (version: StoredVersion): string {
  const { id, receivedAt } = version.meta
  return sseMessage({ event: 'version', id, data: { id, receivedAt: new Date(receivedAt).toISOString(), payload: version.payload } })
}

/** Where a reconnecting client resumes: after its id, or nowhere (reset) when that id is not usable. */
function resumePoint (list: ReturnType<VersionStore['list']>, lastEventId: string): 'reset' | number {
  const oldest = list[0]
  const newest = list[list.length - 1]
  if (oldest === undefined || newest === undefined || !isVersionId(lastEventId)) return 'reset'
  // Older than the oldest retained: what came after it may have been pruned unseen.
  // Newer than the newest: an id from another folder or another life of this one.
  if (lastEventId < oldest.id || lastEventId > newest.id) return 'reset'
  return firstAfter(list, lastEventId)
}

export function openVersionFeed (options: FeedOptions): VersionFeed {
  const { store, sink, log } = options
  let closed = false
  /** Resolves when the client's buffer has room again; null while it has room. */
  let room: Promise<void> | null = null
  let stall: NodeJS.Timeout | null = null
  let wake = (): void => {}
  /** Resolves on close, so a replay waiting for room does not wait for ever. */
  const closing = new Promise<void>((resolve) => { wake = resolve })
  const write = (chunk: string): void => {
    if (closed || sink.write(chunk) || room !== null) return
    stall = setTimeout(() => {
      log.warn({ stallMs: options.stallMs }, 'closing an event stream whose client stopped reading')
      close()
    }, options.stallMs)
    stall.unref()
    room = sink.drained().then(() => {
      if (stall !== null) clearTimeout(stall)
      room = null
    })
  }
  let replaying = false
  let lastSent: string | null = null
  const held: StoredVersion[] = []

  const send = (version: StoredVersion): void => {
    if (closed || (lastSent !== null && version.meta.id <= lastSent)) return
    lastSent = version.meta.id
    write(versionEvent(version))
  }

  // Subscribed before the list is read, in the same tick: no version can fall between the two.
  const unsubscribe = store.onVersion((version) => {
    if (replaying) held.push(version)
    else send(version)
  })
  // A heartbeat keeps an idle connection open; a full buffer shows the connection is not idle.
  const heartbeat = setInterval(() => { if (room === null) write(sseComment('heartbeat')) }, options.heartbeatMs)
  heartbeat.unref()

  write(sseComment('connected'))

  const replay = async (): Promise<void> => {
    if (options.lastEventId === undefined) return
    const list = store.list()
    const start = resumePoint(list, options.lastEventId)
    if (start === 'reset') {
      const newest = list[list.length - 1]
      // The id moves the client to the present, so a later reconnect does not reset again.
      write(sseMessage({
        event: 'reset',
        id: newest?.id ?? '',
        data: { lastEventId: options.lastEventId, oldestAvailableId: list[0]?.id ?? null, newestId: newest?.id ?? null }
      }))
      lastSent = newest?.id ?? null
      return
    }
    lastSent = options.lastEventId
    const missed = list.slice(start)
    replaying = true
    try {
      for (const meta of missed) {
        // Back-pressure: no more payloads are read while the client has not taken the last ones.
        while (room !== null && !closed) await Promise.race([room, closing])
        if (closed) return
        const version = await store.get(meta.id)
        // null: pruned while we replayed; the client did not need it any more than retention did.
        if (version !== null) send(version)
      }
    } finally {
      replaying = false
      for (const version of held.splice(0)) send(version)
    }
  }

  const ready = replay().catch((error: unknown) => {
    log.error({ err: error }, 'event replay failed')
    close()
  })

  function close (): void {
    if (closed) return
    closed = true
    unsubscribe()
    clearInterval(heartbeat)
    if (stall !== null) clearTimeout(stall)
    wake()
    sink.end()
  }

  return { ready, close }
}
