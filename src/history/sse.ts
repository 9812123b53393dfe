// The Server-Sent Events wire format (WHATWG HTML, "server-sent events"): named events with an id
// and JSON data, and comments that keep idle connections alive through proxies.

export interface SseEvent {
  event: string
  /** Sent as `id:`; the browser echoes the last one in `Last-Event-ID` when it reconnects. Empty clears it. */
  id?: string
  data: unknown
}

export function sseMessage (message: SseEvent): string {
  const lines = [`event: ${message.event}`]
  if (message.id !== undefined) lines.push(`id: ${message.id}`)
  // JSON.stringify escapes newlines inside strings, so the data is always one line.
  lines.push(`data: ${JSON.stringify(message.data)}`)
  return `${lines.join('\n')}\n\n`
}

/** A comment line: ignored by clients, but it keeps the connection from looking idle. */
export function sseComment (text: string): string {
  return `: ${text.replaceAll(/[\r\n]+/g, ' ')}\n\n`
}
