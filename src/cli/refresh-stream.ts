// The agent's ear: follows GET /refresh-requests (Server-Sent Events, write key) and calls
// `onRefresh` for each `refresh` event. When the stream ends or cannot be opened (the service
// restarts, the network drops), it connects again after 1 s, then 2, 4 ... up to 60 s; a stream
// that opened resets the wait.
import { setTimeout as sleep } from 'node:timers/promises'

export interface RefreshStreamOptions {
  url: URL
  key: string
  onRefresh: (request: { id?: unknown, requestedAt?: unknown }) => void
  /** Told of each connection and each failure, for the log. */
  onConnected: () => void
  onDisconnected: (why: string, retryInMs: number) => void
}

const FIRST_RETRY_MS = 1000
const LAST_RETRY_MS = 60_000

/** The `event:` and `data:` of one block of the stream; null for a comment (heartbeat). */
function parseBlock (block: string): { event: string, data: string } | null {
  let event = 'message'
  const data: string[] = []
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith('event:')) event = line.slice(6).trim()
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
  }
  return data.length === 0 ? null : { event, data: data.join('\n') }
}

/** Reads one connection to its end; resolves with why it ended. */
async function follow (options: RefreshStreamOptions, signal: AbortSignal): Promise<string> {
  const response = await fetch(options.url, {
    headers: { accept: 'text/event-stream', 'x-api-key': options.key },
    redirect: 'error',
    signal
  })
  if (response.status !== 200 || response.body === null) {
    const text = await response.text().catch(() => '')
    return `${response.status} ${text.slice(0, 200)}`
  }
  options.onConnected()
  const decoder = new TextDecoder()
  let buffer = ''
  const reader = response.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let end: number
    while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
      const message = parseBlock(buffer.slice(0, end))
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '')
      if (message?.event !== 'refresh') continue
      try {
        options.onRefresh(JSON.parse(message.data) as { id?: unknown, requestedAt?: unknown })
      } catch {
        options.onRefresh({})
      }
    }
  }
  return 'the service ended the stream'
}

/** Follows the stream until `signal` aborts; resolves then. */
export async function followRefreshRequests (options: RefreshStreamOptions, signal: AbortSignal): Promise<void> {
  let retryMs = FIRST_RETRY_MS
  while (!signal.aborted) {
    let connected = false
    const why = await follow({ ...options, onConnected: () => { connected = true; options.onConnected() } }, signal)
      .catch((error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message)
    if (signal.aborted) return
    if (connected) retryMs = FIRST_RETRY_MS
    options.onDisconnected(why, retryMs)
    await sleep(retryMs, undefined, { signal }).catch(() => {})
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS)
  }
}
