// Numbers, times and forecasts in words a person reads at a glance. Times are the browser's own
// local times, on a 24-hour clock.
import { DAY, HOUR, MINUTE } from './state.js'

export const formatPercent = (value) => Number.isInteger(value) ? String(value) : value.toFixed(1)

export function formatAge (ms) {
  const minutes = Math.floor(ms / MINUTE)
  if (minutes < 1) return 'just now'
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${minutes % 60} min ago`
  return `${Math.floor(hours / 24)} days ago`
}

/** "50 min", "1 h 20 min", "2 days 3 h": the two largest units, rounded to the minute. */
export function formatDuration (ms) {
  const minutes = Math.max(0, Math.round(ms / MINUTE))
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`
  const days = Math.floor(hours / 24)
  const unit = days === 1 ? 'day' : 'days'
  return hours % 24 === 0 ? `${days} ${unit}` : `${days} ${unit} ${hours % 24} h`
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' })
const date = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })

const localDay = (ms) => new Date(ms).toDateString()

/** "15:40" today, "Thu 15:40" within the week, "Dec 3 15:40" further away. */
export function formatClock (ms, now) {
  const time = clock.format(ms)
  if (localDay(ms) === localDay(now)) return time
  if (Math.abs(ms - now) < 6 * DAY) return `${weekday.format(ms)} ${time}`
  return `${date.format(ms)} ${time}`
}

/** What a limit's forecast says, in one short sentence. */
export function forecastWords (limit, now) {
  if (limit === null || limit === undefined) return 'No reading yet'
  if (limit.status === 'limit-reached') return 'Limit reached'
  const full = limit.projectedFullAt === null ? null : Date.parse(limit.projectedFullAt)
  const reset = limit.resetsAt === null ? null : Date.parse(limit.resetsAt)
  if (limit.status === 'at-risk') {
    return `At this pace: full at ${formatClock(full, now)}, ${formatDuration(reset - full)} before the reset`
  }
  if (limit.status === 'ok') return 'Stays under the limit until the reset'
  if (limit.ratePerHour === null) return 'Not enough data yet'
  if (full !== null) return `At this pace: full at ${formatClock(full, now)}`
  return 'Not rising at the moment'
}

/** When the limit resets: its instant when the forecast read it, else the text as the scraper sent it. */
export function resetWords (limit, text, now) {
  const reset = limit?.resetsAt ? Date.parse(limit.resetsAt) : null
  if (reset !== null && reset > now) return `Resets ${formatClock(reset, now)} · in ${formatDuration(reset - now)}`
  if (typeof text !== 'string' || text === '') return '\u00a0'
  // "2 hr 42 min" is a duration, "Thu 7:00 AM" a moment.
  return /^\d/.test(text) ? `Resets in ${text}` : `Resets ${text}`
}
