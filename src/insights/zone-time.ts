// Wall-clock time in an IANA zone, through the platform's Intl data (no date library): the local
// date and time of an instant, and the instants a local date and time names. Around a change of
// daylight saving time a wall-clock time can name two instants (the hour repeated in autumn) or
// none (the hour skipped in spring); both cases are answered here, once.

export interface LocalParts {
  year: number
  /** 0 = January, as Date does. */
  month: number
  day: number
  hour: number
  minute: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter (timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric'
    })
    formatters.set(timeZone, format)
  }
  return format
}

/** True when the platform knows `timeZone` as a time zone. */
export function isTimeZone (timeZone: string): boolean {
  try {
    formatter(timeZone)
    return true
  } catch {
    return false
  }
}

/** The zone this process runs in (TZ, or the system's). */
export function systemTimeZone (): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone
}

function partsOf (instant: number, timeZone: string): LocalParts & { second: number } {
  const values: Record<string, number> = {}
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') values[part.type] = Number(part.value)
  }
  return {
    year: values.year as number,
    month: (values.month as number) - 1,
    day: values.day as number,
    hour: values.hour as number,
    minute: values.minute as number,
    second: values.second as number
  }
}

export function localParts (instant: number, timeZone: string): LocalParts {
  return partsOf(instant, timeZone)
}

/** The zone's offset from UTC at `instant`, in ms (east positive), to the second. */
function offsetAt (instant: number, timeZone: string): number {
  const parts = partsOf(instant, timeZone)
  const asUtc = Date.UTC(parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second)
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000))
}

/**
 * The instants at which the zone's clocks show `wall`, earliest first: usually one; two in the hour
 * repeated when clocks go back; in the hour skipped when they go forward, the one instant the time
 * would be had the clocks not moved yet (so 2:30 on a spring-forward night reads as 3:30 after it).
 */
export function wallClockInstants (wall: LocalParts, timeZone: string): number[] {
  const asUtc = Date.UTC(wall.year, wall.month, wall.day, wall.hour, wall.minute)
  // A zone's offset changes at most once within a day or so either side of any time.
  const before = offsetAt(asUtc - 86_400_000, timeZone)
  const after = offsetAt(asUtc + 86_400_000, timeZone)
  const instants: number[] = []
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = asUtc - offset
    const shown = localParts(instant, timeZone)
    if (shown.year === wall.year && shown.month === wall.month && shown.day === wall.day && shown.hour === wall.hour && shown.minute === wall.minute) {
      instants.push(instant)
    }
  }
  if (instants.length === 0) instants.push(asUtc - before)
  return instants.sort((a, b) => a - b)
}
