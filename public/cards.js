// The three cards: each limit's value and bar, when it resets, what its forecast says, and whether
// the value was carried over from an earlier scrape; and the freshness badge.
import { formatAge, formatClock, forecastWords, formatPercent, resetWords } from './format.js'
import { $, at, FIELDS, HIGH_PERCENT, idTime, isMissing, MINUTE, numberAt, serverNow, state } from './state.js'

const EXPIRED_MS = 30 * MINUTE
const staleMinutes = Number(document.querySelector('meta[name="stale-after-minutes"]')?.content)
// /health's rule: fresh within STALE_AFTER_MINUTES, stale within 30 minutes, then expired.
const STALE_MS = (Number.isFinite(staleMinutes) && staleMinutes > 0 ? staleMinutes : 10) * MINUTE

export function renderCards () {
  const latest = state.latest
  const payload = latest?.payload
  const now = serverNow()
  for (const field of FIELDS) {
    const card = $(`.meter[data-field="${field.name}"]`)
    const from = latest?.carriedOver?.[field.section]
    // A section the newest scrape did not read, and no earlier value shown in its place: no number.
    const value = payload !== undefined && (from !== undefined || !isMissing(payload, field)) ? numberAt(payload, field.path) : undefined
    const known = value !== undefined
    card.querySelector('.pct').textContent = known ? formatPercent(value) : '–'
    card.querySelector('.fill').style.width = known ? `${Math.min(100, Math.max(0, value))}%` : '0'
    const bar = card.querySelector('.bar')
    if (known) bar.setAttribute('aria-valuenow', String(value))
    else bar.removeAttribute('aria-valuenow')
    card.classList.toggle('high', known && value > HIGH_PERCENT)

    const carried = card.querySelector('.carried')
    card.classList.toggle('carried-over', from !== undefined)
    carried.hidden = from === undefined && !(payload !== undefined && isMissing(payload, field))
    carried.textContent = from !== undefined
      ? `Not read in the latest scrape: the value of ${formatClock(idTime(from), now)}`
      : 'Not read in the latest scrape'

    const limit = state.forecast?.limits?.[field.limit]
    card.querySelector('.reset').textContent = resetWords(limit, known ? at(payload, field.reset) : undefined, now)
    const words = card.querySelector('.forecast')
    words.textContent = state.forecast === null ? '\u00a0' : forecastWords(limit, now)
    words.dataset.status = limit?.status ?? 'none'
  }
  renderFreshness()
}

export function renderFreshness () {
  const badge = $('#freshness')
  let status = 'none'
  let text = 'no data'
  if (state.latest !== null) {
    const age = Math.max(0, serverNow() - state.latest.receivedAt)
    status = age <= STALE_MS ? 'fresh' : age <= EXPIRED_MS ? 'stale' : 'expired'
    text = `${status} · ${formatAge(age)}`
    const received = new Date(state.latest.receivedAt)
    $('#received').textContent = `Last snapshot received ${received.toLocaleString()} · ${state.latest.id}`
    badge.title = `Received ${received.toLocaleString()}`
  }
  badge.className = `badge badge-${status}`
  badge.dataset.status = status
  badge.textContent = text
}
