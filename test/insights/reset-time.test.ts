// Reset texts as instants (contract section 9): every form, with odd spacing and case, read in zones
// with daylight saving time on the days the clocks change; anything else null, never an error.
import t from 'tap'
import { resetInstant } from '../../src/insights/reset-time.js'

const NY = 'America/New_York'
const BERLIN = 'Europe/Berlin'
const MINUTE = 60_000
const HOUR = 60 * MINUTE

const instant = (text: string, lastUpdated: string, zone = NY): string | null => {
  const at = resetInstant(text, lastUpdated, zone)
  return at === null ? null : new Date(at).toISOString()
}

t.test('durations count from lastUpdated, in any spelling of their units', async (t) => {
  const from = '2026-01-15T10:00:00.000Z'
  const cases: Array<[string, number]> = [
    ['2 hr 42 min', 2 * HOUR + 42 * MINUTE],
    ['45 min', 45 * MINUTE],
    ['1 hr', HOUR],
    ['3 days 4 hr', 3 * 24 * HOUR + 4 * HOUR],
    ['1 day', 24 * HOUR],
    ['2h 5m', 2 * HOUR + 5 * MINUTE],
    ['2h5m', 2 * HOUR + 5 * MINUTE],
    ['1d 3h', 27 * HOUR],
    ['2 hours 1 minute', 2 * HOUR + MINUTE],
    ['1 hour 30 minutes', 90 * MINUTE],
    ['4 hrs 10 mins', 4 * HOUR + 10 * MINUTE],
    ['in 45 min', 45 * MINUTE],
    ['Resets in 2 hr 42 min', 2 * HOUR + 42 * MINUTE],
    ['  RESETS   IN\t2  HR   42 MIN  ', 2 * HOUR + 42 * MINUTE],
    ['In 3 Days, 4 Hr', 3 * 24 * HOUR + 4 * HOUR],
    ['0 min', 0]
  ]
  for (const [text, ms] of cases) t.equal(instant(text, from), new Date(Date.parse(from) + ms).toISOString(), JSON.stringify(text))
  // A duration crosses a change of the clocks as elapsed time: 8 March 2026, 06:00 UTC (1:00 EST) + 2 h.
  t.equal(instant('2 hr', '2026-03-08T06:00:00Z'), '2026-03-08T08:00:00.000Z')
})

t.test('a weekday and a time: the next such moment after lastUpdated, 12 h or 24 h', async (t) => {
  // Monday 12 January 2026, 09:00 in New York (UTC-5).
  const monday = '2026-01-12T14:00:00.000Z'
  const thursday7 = '2026-01-15T12:00:00.000Z'
  for (const text of ['Thu 7:00 AM', 'Thursday 7:00 AM', 'thu 7:00 am', 'THU 7:00AM', '  Thu   7:00   AM ', 'Thu 7 AM', 'Thu 07:00', 'Resets Thu 7:00 AM', 'Thu at 7:00 AM', 'Thurs 7:00 a.m.', 'Thu, 7:00 AM']) {
    t.equal(instant(text, monday), thursday7, JSON.stringify(text))
  }
  t.equal(instant('Thu 19:00', monday), '2026-01-16T00:00:00.000Z', '24-hour time')
  t.equal(instant('Mon 9:00 AM', monday), '2026-01-19T14:00:00.000Z', 'the same moment is not "next": a week later')
  t.equal(instant('Mon 9:01 AM', monday), '2026-01-12T14:01:00.000Z', 'later the same day')
  t.equal(instant('Sat 12:00 PM', monday), '2026-01-17T17:00:00.000Z', '12 PM is noon')
  t.equal(instant('Sun 12:00 AM', monday), '2026-01-18T05:00:00.000Z', '12 AM is midnight')
})

t.test('a time alone: the next such moment, today or tomorrow', async (t) => {
  const morning = '2026-01-12T14:00:00.000Z' // 09:00 in New York
  t.equal(instant('7:00 AM', morning), '2026-01-13T12:00:00.000Z', 'passed today: tomorrow')
  t.equal(instant('9:30 pm', morning), '2026-01-13T02:30:00.000Z', 'later today (the next UTC day)')
  t.equal(instant('  resets   at  21:30 ', morning), '2026-01-13T02:30:00.000Z')
  t.equal(instant('7:00 AM', morning, 'Asia/Tokyo'), '2026-01-12T22:00:00.000Z', 'read in the zone given')
})

t.test('a month and day with a time; passed this year means next year', async (t) => {
  const from = '2026-01-12T14:00:00.000Z'
  for (const text of ['Dec 3, 7:00 AM', 'Dec 3 at 7:00 AM', 'dec 3 7:00 am', 'December 3, 7:00 AM', '  DEC  3 ,  7:00AM ', 'Dec 3rd at 7:00 AM']) {
    t.equal(instant(text, from), '2026-12-03T12:00:00.000Z', JSON.stringify(text))
  }
  t.equal(instant('Jan 5, 7:00 AM', from), '2027-01-05T12:00:00.000Z', 'passed this year: next year')
  t.equal(instant('Jan 12, 9:00 AM', from), '2027-01-12T14:00:00.000Z', 'the very moment: next year')
  t.equal(instant('Feb 29, 7:00 AM', from), '2028-02-29T12:00:00.000Z', 'the next 29 February')
})

t.test('on the days the clocks change (New York and Berlin)', async (t) => {
  // New York springs forward on Sunday 8 March 2026 (2:00 EST -> 3:00 EDT).
  const saturday = '2026-03-07T17:00:00.000Z' // Saturday 12:00 EST
  t.equal(instant('7:00 AM', saturday), '2026-03-08T11:00:00.000Z', '7:00 the next morning is EDT (UTC-4)')
  t.equal(instant('Sun 1:30 AM', saturday), '2026-03-08T06:30:00.000Z', 'before the change: EST')
  t.equal(instant('Sun 2:30 AM', saturday), '2026-03-08T07:30:00.000Z', 'a skipped time reads as it would have: 3:30 EDT')
  t.equal(instant('Mar 8, 3:00 AM', saturday), '2026-03-08T07:00:00.000Z', 'the first moment after the change')
  t.equal(instant('Thu 7:00 AM', saturday), '2026-03-12T11:00:00.000Z', 'the next week, in EDT')
  // Falls back on Sunday 1 November 2026 (2:00 EDT -> 1:00 EST): 1:30 happens twice.
  t.equal(instant('1:30 AM', '2026-11-01T04:00:00.000Z'), '2026-11-01T05:30:00.000Z', 'the first 1:30 (EDT)')
  t.equal(instant('1:30 AM', '2026-11-01T05:45:00.000Z'), '2026-11-01T06:30:00.000Z', 'after the first 1:30, the second (EST)')
  t.equal(instant('7:00 AM', '2026-11-01T05:45:00.000Z'), '2026-11-01T12:00:00.000Z', '7:00 that morning is EST (UTC-5)')
  // Berlin springs forward on Sunday 29 March 2026 (2:00 CET -> 3:00 CEST) and falls back on 25 October.
  t.equal(instant('Sun 7:00', '2026-03-28T12:00:00Z', BERLIN), '2026-03-29T05:00:00.000Z', 'CEST (UTC+2)')
  t.equal(instant('Sat 7:00', '2026-03-28T12:00:00Z', BERLIN), '2026-04-04T05:00:00.000Z', 'a week on, still CEST')
  t.equal(instant('Mar 29 at 2:30 AM', '2026-03-28T12:00:00Z', BERLIN), '2026-03-29T01:30:00.000Z', 'a skipped time: 3:30 CEST')
  t.equal(instant('Sun 7:00 AM', '2026-10-24T12:00:00Z', BERLIN), '2026-10-25T06:00:00.000Z', 'CET (UTC+1) after the fall back')
  t.equal(instant('2:30', '2026-10-25T00:00:00Z', BERLIN), '2026-10-25T00:30:00.000Z', 'the first 2:30 (CEST)')
})

t.test('the same text, asked walking back or forth through a week, agrees with a fresh reading', async (t) => {
  // resetInstant memoises a wall-clock answer over the span it holds for; a reading on either side of
  // a reset moment must still give the moment after it.
  const reset = Date.parse('2026-01-15T12:00:00Z') // Thu 7:00 EST
  const around = [reset + MINUTE, reset - MINUTE, reset, reset - 6 * 24 * HOUR, reset + 6 * 24 * HOUR, reset - 1]
  const expected = [reset + 7 * 24 * HOUR, reset, reset + 7 * 24 * HOUR, reset, reset + 7 * 24 * HOUR, reset]
  t.same(around.map((at) => resetInstant('Thu 7:00 AM', at, NY)), expected)
})

t.test('anything else is null, never an error', async (t) => {
  const from = '2026-01-12T14:00:00.000Z'
  const odd = ['', '   ', 'soon', '7', 'Thu', 'tomorrow', '25:00', '13:00 PM', '0:30 AM', '7:75', 'Foo 7:00 AM', 'Dec 32, 7:00 AM',
    'Feb 30 7:00 AM', '2 hr 3 hr', '2 parsecs', 'in', 'Resets', 'Th 7:00 AM', '-2 hr', '2.5 hr', 'Thu 7:00 AM EST and more', '\u0000']
  for (const text of odd) t.equal(resetInstant(text, from, NY), null, JSON.stringify(text))
  t.equal(resetInstant('2 hr', 'not a date', NY), null, 'a lastUpdated that is no time')
  t.equal(resetInstant('2 hr', null, NY), null, 'no lastUpdated')
  t.equal(resetInstant(42 as unknown as string, from, NY), null, 'not text at all')
})
