// Live updates: the service's Server-Sent Events, read with fetch because EventSource cannot send
// the read key. Reconnects with a growing delay, replaying from the newest version shown.
import { api } from './api.js'
import { $, API, sleep, state } from './state.js'

function setLive (on) {
  state.live = on
  const live = $('#live')
  live.classList.toggle('on', on)
  live.textContent = on ? 'live' : 'offline'
  document.body.dataset.live = on ? 'on' : 'off'
}

async function readEvents (body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += value.replace(/\r\n?/g, '\n')
    let end
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = { event: 'message', data: [], id: null }
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const name = colon === -1 ? line : line.slice(0, colon)
        const text = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (name === 'event') event.event = text
        else if (name === 'data') event.data.push(text)
        else if (name === 'id') event.id = text
      }
      if (event.data.length > 0 || event.id !== null) await onEvent({ ...event, data: event.data.join('\n') })
    }
  }
}

/**
 * Listens for good: `onVersion(message)` for each stored version, `onReset()` when the version last
 * seen was pruned (what is shown must be loaded again).
 */
export async function listen ({ onVersion, onReset }) {
  setLive(false)
  let delay = 1000
  for (;;) {
    try {
      const response = await api(`${API}/events`, { accept: 'text/event-stream', lastEventId: state.lastEventId ?? state.latest?.id })
      if (!response.ok || response.body === null) throw new Error(`events: HTTP ${response.status}`)
      setLive(true)
      delay = 1000
      await readEvents(response.body, async (event) => {
        if (event.id) state.lastEventId = event.id
        if (event.event === 'version') {
          onVersion(JSON.parse(event.data))
        } else if (event.event === 'reset') {
          state.lastEventId = null
          await onReset()
        }
      })
    } catch {
      // The connection dropped or the service restarts: try again below, more slowly each time.
    }
    setLive(false)
    await sleep(delay)
    delay = Math.min(delay * 2, 30_000)
  }
}
