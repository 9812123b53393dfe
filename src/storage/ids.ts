// Version ids: `YYYY-MM-DDTHH-mm-ss-XXXXXXXX`, the UTC second a version was received and 8 lowercase
// hex digits. The earlier server filled the hex digits at random; this one counts them up within a
// second, so that ordering ids as strings gives the order of receipt.
import { randomInt } from 'node:crypto'

export const VERSION_ID_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})-([0-9a-f]{8})$/
const MAX_SUFFIX = 0xffffffff
/** How far ahead of the clock an id or a receipt time may lie before it is refused (import) or damaged (a file). */
export const MAX_FUTURE_MS = 60_000
/** Ids have four digits of year: no id names a second from 10000 on. */
const END_OF_IDS = Date.UTC(10_000, 0, 1)

export function isVersionId (value: string): boolean {
  return VERSION_ID_PATTERN.test(value) && !Number.isNaN(idSecond(value))
}

/** The UTC second named by an id, in epoch milliseconds (NaN when the id names no real time). */
export function idSecond (id: string): number {
  const match = VERSION_ID_PATTERN.exec(id)
  if (match === null) return Number.NaN
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const time = Date.UTC(year, month - 1, day, hour, minute, second)
  // Date.UTC rolls 2026-02-31 over to March: such a name is not a real time.
  return new Date(time).getUTCDate() === day && hour < 24 && minute < 60 && second < 60 ? time : Number.NaN
}

function idSuffix (id: string): number {
  return Number.parseInt(id.slice(-8), 16)
}

export function formatId (secondMs: number, suffix: number): string {
  // Past the last second an id can name, the ISO text would be `+010000-...`: never hand that out.
  if (!(secondMs >= 0 && secondMs < END_OF_IDS)) throw new RangeError(`no version id names ${new Date(secondMs).toISOString()}`)
  const stamp = new Date(secondMs).toISOString().slice(0, 19).replaceAll(':', '-')
  return `${stamp}-${suffix.toString(16).padStart(8, '0')}`
}

export interface Receipt {
  id: string
  receivedAt: number
}

/**
 * Hands out receipts whose ids and times only ever grow. A clock that steps back is held at the
 * last time seen; within one second the hex part counts up from a random start in its lower half,
 * which leaves room for 2^31 more versions in that second.
 */
export class IdClock {
  #lastId: string | null
  #lastReceivedAt: number

  constructor (lastId: string | null, lastReceivedAt: number) {
    this.#lastId = lastId
    this.#lastReceivedAt = lastReceivedAt
  }

  next (now: number = Date.now()): Receipt {
    const receivedAt = Math.max(now, this.#lastReceivedAt)
    let second = Math.floor(receivedAt / 1000) * 1000
    let suffix: number | null = null
    if (this.#lastId !== null) {
      const lastSecond = idSecond(this.#lastId)
      if (lastSecond >= second) {
        const lastSuffix = idSuffix(this.#lastId)
        if (lastSuffix < MAX_SUFFIX) {
          second = lastSecond
          suffix = lastSuffix + 1
        } else {
          second = lastSecond + 1000
        }
      }
    }
    // A new second starts at random (drawn only then: randomInt costs more than the rest of this).
    const receipt = { id: formatId(second, suffix ?? randomInt(0, 0x80000000)), receivedAt }
    this.#lastId = receipt.id
    this.#lastReceivedAt = receivedAt
    return receipt
  }

  /** Makes later ids greater than one that came from elsewhere (an import). */
  observe (id: string, receivedAt: number): void {
    if (this.#lastId === null || id > this.#lastId) this.#lastId = id
    this.#lastReceivedAt = Math.max(this.#lastReceivedAt, receivedAt)
  }
}
