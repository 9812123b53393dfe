// Requests to the service: the read key on every one, a prompt for it on a 401, and the server's
// clock learnt from each answer.
import { askKey, forgetKey } from './key-prompt.js'
import { state } from './state.js'

/** fetch with the read key; on 401 asks for a key (once for all callers) and tries again. */
export async function api (path, options = {}) {
  for (;;) {
    const sentKey = state.key
    const headers = { Accept: options.accept ?? 'application/json' }
    if (sentKey) headers['X-API-Key'] = sentKey
    if (options.lastEventId) headers['Last-Event-ID'] = options.lastEventId
    const response = await fetch(path, { headers, cache: 'no-store' })
    const date = Date.parse(response.headers.get('date') ?? '')
    if (Number.isFinite(date)) state.clockSkew = date - Date.now()
    if (response.status !== 401) return response
    await response.body?.cancel()
    // Another request already got a new key while this one was out: just use it.
    if (state.key !== sentKey && state.key) continue
    if (sentKey) forgetKey()
    await askKey(sentKey
      ? 'That key was refused. Enter the read key (or the write key).'
      : 'This service needs its read key to show the data.')
  }
}

/** The error an unexpected answer means, with the service's own message when it sent one. */
export async function failure (what, response) {
  const body = await response.json().catch(() => null)
  return new Error(`${what}: ${body?.message ?? `HTTP ${response.status}`}`)
}
