// The newest version shown, from the read view or from a live event. The read view names the
// sections it carried over from an earlier version (`versionInfo.carriedOver`); a live event has
// the payload as stored, so a section it declares missing keeps the value shown before, as the read
// view would.
import { api, failure } from './api.js'
import { API, at, FIELDS, isMissing, state, toMs } from './state.js'

/** The newest version, as the read view gives it; null when nothing is stored. */
export async function fetchLatest () {
  const response = await api(API)
  if (response.status === 404) {
    await response.body?.cancel()
    return null
  }
  if (!response.ok) throw await failure('latest numbers', response)
  const body = await response.json()
  return { id: body.versionInfo.id, receivedAt: toMs(body.versionInfo.timestamp), payload: body, carriedOver: body.versionInfo.carriedOver ?? {} }
}

/** A live version, with the sections it lacks carried over from `previous` (the version shown). */
export function fromEvent (message, previous) {
  const payload = structuredClone(message.payload)
  const carriedOver = {}
  for (const field of FIELDS) {
    if (!isMissing(payload, field) || previous === null) continue
    // Only a value the page showed as a reading: a real one, or one carried over already.
    const shown = !isMissing(previous.payload, field) || previous.carriedOver[field.section] !== undefined
    const keys = field.section.split('.')
    const earlier = at(previous.payload, keys)
    if (!shown || earlier === undefined) continue
    let node = payload
    for (const key of keys.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== 'object') node[key] = {}
      node = node[key]
    }
    node[keys.at(-1)] = structuredClone(earlier)
    carriedOver[field.section] = previous.carriedOver[field.section] ?? previous.id
  }
  return { id: message.id, receivedAt: toMs(message.receivedAt), payload, carriedOver }
}

/** Shows `version` unless a newer one is shown already; true when it was taken. */
export function takeLatest (version) {
  if (version !== null && state.latest !== null && version.id < state.latest.id) return false
  state.latest = version
  return true
}
