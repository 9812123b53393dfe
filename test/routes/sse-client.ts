// A small Server-Sent Events client over fetch, for the events tests: it reads the stream as it
// comes and hands out one parsed event at a time (comments too, so heartbeats can be seen).
export interface ReceivedEvent {
  event: string
  id: string | undefined
  data: string
  /** A comment line (`: text`) rather than an event. */
  comment?: string
}

export interface SseConnection {
  status: number
  headers: Headers
  /** The next event (comments skipped unless asked for); rejects after `timeoutMs` without one. */
  next: (options?: { comments?: boolean, timeoutMs?: number }) => Promise<ReceivedEvent>
  /** Resolves true once the server has ended the stream. */
  ended: () => Promise<boolean>
  close: () => void
}

export async function connect (url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const abort = new AbortController()
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal })
  const queue: ReceivedEvent[] = []
  // Set while next() waits; a cast, so TypeScript does not narrow it to null inside the closures.
  let waiting = null as (() => void) | null
  let done = false
  let buffer = ''

  const parse = (block: string): ReceivedEvent => {
    const fields: Record<string, string> = {}
    let comment: string | undefined
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comment = line.slice(1).trim()
      else {
        const colon = line.indexOf(':')
        fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '')
      }
    }
    return { event: fields.event ?? 'message', id: fields.id, data: fields.data ?? '', ...(comment === undefined ? {} : { comment }) }
  }

  void (async () => {
    try {
      const decoder = new TextDecoder()
      const reader = (response.body as ReadableStream<Uint8Array>).getReader()
      for (;;) {
        const { done: finished, value } = await reader.read()
        if (finished) break
        buffer += decoder.decode(value, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          queue.push(parse(buffer.slice(0, end)))
          buffer = buffer.slice(end + 2)
        }
        waiting?.()
      }
    } catch {
      // Aborted by close().
    }
    done = true
    waiting?.()
  })()

  const wait = (timeoutMs: number): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs)
    waiting = () => {
      clearTimeout(timer)
      waiting = null
      resolve()
    }
  })

  const next = async ({ comments = false, timeoutMs = 5000 } = {}): Promise<ReceivedEvent> => {
    for (;;) {
      const event = queue.shift()
      if (event !== undefined) {
        if (event.comment === undefined || comments) return event
        continue
      }
      if (done) throw new Error('the stream ended')
      await wait(timeoutMs)
    }
  }

  const ended = async (): Promise<boolean> => {
    while (!done) await wait(5000)
    return true
  }

  return { status: response.status, headers: response.headers, next, ended, close: () => abort.abort() }
}
