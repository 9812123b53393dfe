// What every part of the page shares: the API's address, the three limits, the page's state, and
// small helpers over payloads and time. No DOM work and no requests here.

export const API = '/api/claude/console-usage'
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
export const HIGH_PERCENT = 80
export const RANGES = { '1d': DAY, '7d': 7 * DAY, all: null }
export const KEY_STORAGE = 'usage-vault.read-key'
export const RANGE_STORAGE = 'usage-vault.range'

/**
 * The three limits: `section` is their path in a payload (and their key in `versionInfo.carriedOver`),
 * `errorKey` their name in `extractionErrors`, `limit` their key among the forecast's limits.
 */
export const FIELDS = [
  { name: 'session', label: 'Session', section: 'currentSession', errorKey: 'currentSession', limit: 'currentSession', color: '--session' },
  { name: 'weekly', label: 'Weekly · all models', section: 'weeklyLimits.allModels', errorKey: 'allModels', limit: 'weeklyAllModels', color: '--weekly' },
  { name: 'sonnet', label: 'Weekly · Sonnet', section: 'weeklyLimits.sonnetOnly', errorKey: 'sonnetOnly', limit: 'weeklySonnet', color: '--sonnet' }
].map((field) => ({ ...field, path: [...field.section.split('.'), 'percentageUsed'], reset: [...field.section.split('.'), 'resetsIn'] }))

export function readStorage (name) {
  try { return localStorage.getItem(name) } catch { return null }
}

export function writeStorage (name, value) {
  try {
    if (value === null) localStorage.removeItem(name)
    else localStorage.setItem(name, value)
  } catch { /* private mode: kept for this page only */ }
}

const storedRange = readStorage(RANGE_STORAGE)

export const state = {
  key: readStorage(KEY_STORAGE),
  range: Object.hasOwn(RANGES, storedRange ?? '') ? storedRange : '7d',
  /** The newest version known: { id, receivedAt (ms), payload, carriedOver: { section: id } }. */
  latest: null,
  /** The newest forecast (contract section 9), with `resets`; null until loaded. */
  forecast: null,
  /** The server's clock minus ours, from the Date header, so ages agree with /health. */
  clockSkew: 0,
  /** Exactly what uPlot was given: [x seconds, session, weekly, sonnet]; null is a gap. */
  data: null,
  plot: null,
  lastEventId: null,
  live: false
}

export const $ = (selector) => document.querySelector(selector)
export const at = (object, path) => path.reduce((node, key) => (node !== null && typeof node === 'object' ? node[key] : undefined), object)
export const numberAt = (object, path) => {
  const value = at(object, path)
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}
export const serverNow = () => Date.now() + state.clockSkew
export const toMs = (time) => typeof time === 'number' ? time : Date.parse(time)
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The receipt second a version id names (`2026-01-25T16-32-31-ca7d685a`), as epoch ms. */
export function idTime (id) {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-/.exec(id ?? '')
  return match === null ? NaN : Date.parse(`${match[1]}T${match[2]}:${match[3]}:${match[4]}Z`)
}

/**
 * True when a payload declares a limit missing (a partial scrape names it in `extractionErrors`) or
 * lacks it: its number is a placeholder, not a reading (contract section 5).
 */
export function isMissing (payload, field) {
  const errors = payload?.extractionErrors
  if (errors !== null && typeof errors === 'object' && Object.hasOwn(errors, field.errorKey)) return true
  return numberAt(payload, field.path) === undefined
}
