// A limit's reset text (`resetsIn`, as the plan's usage page shows it) read as an instant (contract
// section 9). A duration counts from the version's `lastUpdated`; a wall-clock form (a weekday and a
// time, a time alone, a month and day with a time) means the next such moment after it, read in an
// IANA zone. Text of any other shape gives null: the scraper sends what the page says, and a wording
// change there must not break a forecast, only leave its reset unknown.
import { localParts, wallClockInstants, type LocalParts } from './zone-time.js'

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

type Parsed =
  | { kind: 'duration', ms: number }
  /** `weekday`: 0 = Sunday; null for a time alone. */
  | { kind: 'weekly' | 'daily', weekday: number | null, hour: number, minute: number }
  | { kind: 'yearly', month: number, day: number, hour: number, minute: number }
type WallClock = Exclude<Parsed, { kind: 'duration' }>

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']

const UNIT_MS: Record<string, number> = {
  d: DAY_MS, day: DAY_MS, days: DAY_MS,
  h: HOUR_MS, hr: HOUR_MS, hrs: HOUR_MS, hour: HOUR_MS, hours: HOUR_MS,
  m: MINUTE_MS, min: MINUTE_MS, mins: MINUTE_MS, minute: MINUTE_MS, minutes: MINUTE_MS
}

const DURATION_PART = /(\d+)\s*([a-z]+)/gy
const TIME = /^(\d{1,2})(?::(\d{2}))?\s*(?:(a|p)\.?\s*m\.?)?$/
const NAMED_DATE = /^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*(?:,|\s)\s*(?:at\s+)?(.+)$/
const WEEKDAY_TIME = /^([a-z]+)\.?\s*(?:,|\s)\s*(?:at\s+)?(.+)$/

/** A name by its full spelling or a prefix of at least three letters (`thu`, `thurs`, `sept`). */
function nameIndex (names: readonly string[], word: string): number {
  if (word.length < 3) return -1
  return names.findIndex((name) => name.startsWith(word))
}

function parseTime (text: string): { hour: number, minute: number } | null {
  const match = TIME.exec(text)
  if (match === null) return null
  const [, hourText, minuteText, half] = match
  let hour = Number(hourText)
  const minute = minuteText === undefined ? 0 : Number(minuteText)
  if (minute > 59) return null
  if (half !== undefined) {
    if (hour < 1 || hour > 12) return null
    hour = (hour % 12) + (half === 'p' ? 12 : 0)
  } else if (minuteText === undefined || hour > 23) {
    // A bare number is not a time ("7" could be anything); a 24-hour time needs its minutes.
    return null
  }
  return { hour, minute }
}

function parseDuration (text: string): number | null {
  DURATION_PART.lastIndex = 0
  let total = 0
  const seen = new Set<number>()
  let position = 0
  while (position < text.length) {
    DURATION_PART.lastIndex = position
    const match = DURATION_PART.exec(text)
    if (match === null) return null
    const unit = UNIT_MS[match[2] as string]
    // Each unit once: "2 hr 3 hr" is not a duration anyone wrote.
    if (unit === undefined || seen.has(unit)) return null
    seen.add(unit)
    total += Number(match[1]) * unit
    position = DURATION_PART.lastIndex
    // Parts may be separated by spaces, a comma or "and".
    const separator = /\s*(?:,|\band\b)?\s*/y
    separator.lastIndex = position
    separator.exec(text)
    position = separator.lastIndex
  }
  return seen.size === 0 ? null : total
}

/** The text's form, or null when it is none of the forms understood. */
export function parseResetText (raw: string): Parsed | null {
  const text = raw.toLowerCase().replace(/\s+/g, ' ').trim()
    .replace(/^resets?\b\s*/, '')
  if (text === '') return null
  const durationText = text.replace(/^in\b\s*/, '')
  if (/^\d+\s*[a-z]/.test(durationText)) {
    const ms = parseDuration(durationText)
    if (ms !== null) return { kind: 'duration', ms }
  }
  const wallText = text.replace(/^(?:at|on)\b\s*/, '')
  const time = parseTime(wallText)
  if (time !== null) return { kind: 'daily', weekday: null, ...time }

  const dated = NAMED_DATE.exec(wallText)
  if (dated !== null) {
    const month = nameIndex(MONTHS, dated[1] as string)
    const day = Number(dated[2])
    const dateTime = parseTime(dated[3] as string)
    // 29 February exists only in some years; the next such moment is looked up year by year.
    if (month >= 0 && dateTime !== null && day >= 1 && day <= daysInMonth(2024, month)) {
      return { kind: 'yearly', month, day, ...dateTime }
    }
  }
  const weekly = WEEKDAY_TIME.exec(wallText)
  if (weekly !== null) {
    const weekday = nameIndex(WEEKDAYS, weekly[1] as string)
    const weekTime = parseTime(weekly[2] as string)
    if (weekday >= 0 && weekTime !== null) return { kind: 'weekly', weekday, ...weekTime }
  }
  return null
}

function daysInMonth (year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
}

/**
 * The calendar days to try, nearest first, from the local date of the reference moment forward
 * (`step` 1) or back (`step` -1), one day past it either way: a zone's local date can differ from
 * the date the search starts on.
 */
function* candidateDays (parsed: WallClock, from: LocalParts, step: 1 | -1): Generator<{ year: number, month: number, day: number }> {
  if (parsed.kind === 'yearly') {
    // Eight years reach a 29 February from any date.
    for (let year = from.year - step; Math.abs(year - from.year) <= 8; year += step) {
      if (parsed.day <= daysInMonth(year, parsed.month)) yield { year, month: parsed.month, day: parsed.day }
    }
    return
  }
  for (let offset = -step; Math.abs(offset) <= 8; offset += step) {
    const date = new Date(Date.UTC(from.year, from.month, from.day + offset))
    if (parsed.weekday === null || date.getUTCDay() === parsed.weekday) {
      yield { year: date.getUTCFullYear(), month: date.getUTCMonth(), day: date.getUTCDate() }
    }
  }
}

/** The first such moment after `reference` (`step` 1), or the last one at or before it (`step` -1). */
function nearestWallClock (parsed: WallClock, reference: number, timeZone: string, step: 1 | -1): number | null {
  const from = localParts(reference, timeZone)
  for (const date of candidateDays(parsed, from, step)) {
    const instants = wallClockInstants({ ...date, hour: parsed.hour, minute: parsed.minute }, timeZone)
    if (step === -1) instants.reverse()
    for (const instant of instants) {
      if (step === 1 ? instant > reference : instant <= reference) return instant
    }
  }
  return null
}

// Parsing is memoised by text (a limit's text repeats from scrape to scrape), and a wall-clock
// answer by the span of reference times it holds for: from the last such moment at or before the
// reference up to the next one, every reference gets the same answer, so the versions of one
// window cost one zone lookup whichever way they are visited.
const MEMO_LIMIT = 2000
const parsedTexts = new Map<string, Parsed | null>()
const wallClockSpans = new Map<string, Map<string, { from: number, until: number }>>()

function parsedText (text: string): Parsed | null {
  let parsed = parsedTexts.get(text)
  if (parsed === undefined) {
    if (parsedTexts.size >= MEMO_LIMIT) parsedTexts.clear()
    parsed = parseResetText(text)
    parsedTexts.set(text, parsed)
  }
  return parsed
}

/**
 * The instant (epoch ms) that `resetsIn` names, read against `lastUpdated` (ISO text or epoch ms) in
 * `timeZone`; null for text it does not understand or a `lastUpdated` that is no time. Never throws
 * for any text; `timeZone` must be a valid IANA name (checked at start-up).
 */
export function resetInstant (resetsIn: string, lastUpdated: string | number | null, timeZone: string): number | null {
  if (typeof resetsIn !== 'string' || lastUpdated === null) return null
  const reference = typeof lastUpdated === 'number' ? lastUpdated : Date.parse(lastUpdated)
  if (!Number.isFinite(reference)) return null
  const parsed = parsedText(resetsIn)
  if (parsed === null) return null
  if (parsed.kind === 'duration') return reference + parsed.ms
  let spans = wallClockSpans.get(timeZone)
  if (spans === undefined) wallClockSpans.set(timeZone, spans = new Map())
  const span = spans.get(resetsIn)
  if (span !== undefined && reference >= span.from && reference < span.until) return span.until
  const instant = nearestWallClock(parsed, reference, timeZone, 1)
  if (instant === null) return null
  if (spans.size >= MEMO_LIMIT) spans.clear()
  spans.set(resetsIn, { from: nearestWallClock(parsed, reference, timeZone, -1) ?? reference, until: instant })
  return instant
}
