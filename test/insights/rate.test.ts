// The rate (contract section 9): a least-squares line; none with fewer than 3 values or spanning
// less than 10 minutes.
import t from 'tap'
import { fitTrend } from '../../src/insights/rate.js'

const MINUTE = 60_000
const BASE = Date.parse('2026-01-12T14:00:00Z')

t.test('the rate: a least-squares line, none with fewer than 3 values or under 10 minutes', async (t) => {
  const at = (minutes: number, value: number): { t: number, value: number } => ({ t: BASE + minutes * MINUTE, value })
  t.equal(fitTrend([]), null)
  t.equal(fitTrend([at(0, 10), at(30, 20)]), null, '2 values')
  t.equal(fitTrend([at(0, 10), at(5, 12), at(9.99, 14)]), null, '3 values over 9.99 minutes')
  const line = fitTrend([at(0, 10), at(5, 12), at(10, 14)])
  t.ok(line, '3 values over exactly 10 minutes')
  t.equal(Math.round((line?.ratePerHour ?? 0) * 1e9) / 1e9, 24)
  t.equal(Math.round(line?.reaches(100) ?? 0), BASE + (90 / 24) * 60 * MINUTE)
  // Noisy values: the least-squares slope, not the first-to-last one.
  const noisy = fitTrend([at(0, 10), at(10, 14), at(20, 12), at(30, 16)])
  t.equal(Math.round((noisy?.ratePerHour ?? 0) * 1e9) / 1e9, 9.6)
  t.equal(fitTrend([at(0, 10), at(10, 10), at(20, 10)])?.reaches(100), null, 'a flat line never reaches 100')
  t.equal(fitTrend([at(0, 30), at(10, 20), at(20, 10)])?.reaches(100), null, 'nor does a falling one')
})
