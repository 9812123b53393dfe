// Forecast latency over a large history, in this process (a forecast is a pure function of what
// the store keeps in memory). The history is 100,000 versions 5 minutes apart, described exactly
// as the store describes what it opens; the session in it resets every 10,000 versions (a drop), so
// a forecast may walk back that far, and the weekly limits at their wall-clock reset each week.
// Half the forecasts are of now, half at a random `at` (the `?at=` of the route).
import { describeVersion } from '../src/storage/open-folder.js'
import type { VersionMeta } from '../src/storage/types.js'
import { formatId } from '../src/storage/ids.js'
import { computeForecast } from '../src/insights/forecast.js'
import { payload, storedText } from './payloads.js'
import { percentile, sorted } from './stats.js'
import { row, type Row } from './table.js'

const STEP_MS = 5 * 60_000
const ZONE = 'Europe/Berlin'
const FORECASTS_PER_RUN = 2000

function history (count: number, newestAt: number): VersionMeta[] {
  return Array.from({ length: count }, (_, index) => {
    const receivedAt = newestAt - (count - 1 - index) * STEP_MS
    const body = payload(index, new Date(receivedAt - 20_000).toISOString())
    return describeVersion(formatId(Math.floor(receivedAt / 1000) * 1000, index), receivedAt, storedText(body), body)
  })
}

/** p99 (ms) of one run of forecasts over `list`; `seed` picks the random `at`s. */
function runOnce (list: readonly VersionMeta[], seed: number): { p99: number, p50: number } {
  const first = (list[0] as VersionMeta).receivedAt
  const last = (list[list.length - 1] as VersionMeta).receivedAt
  let state = seed
  const random = (): number => {
    // A small LCG: the same `at`s for the same seed, so runs compare.
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
  const times: number[] = []
  for (let i = 0; i < FORECASTS_PER_RUN; i++) {
    const now = Date.now()
    const at = i % 2 === 0 ? now : first + random() * (last - first)
    const started = performance.now()
    computeForecast(list, { at, now, timeZone: ZONE })
    times.push(performance.now() - started)
  }
  const ordered = sorted(times)
  return { p99: percentile(ordered, 99), p50: percentile(ordered, 50) }
}

export function forecastFigure (versions: number, few: number, runs: number): Row {
  const newestAt = Date.now() - 60_000
  const large = history(versions, newestAt)
  const small = history(few, newestAt)
  const largeRuns = Array.from({ length: runs }, (_, run) => runOnce(large, run + 1))
  const smallRuns = Array.from({ length: runs }, (_, run) => runOnce(small, run + 1))
  const ms = (values: number[]): string => values.map((value) => value.toFixed(2)).join(', ')
  return row({
    figure: `forecast p99, ${versions.toLocaleString('en-US')} versions (${FORECASTS_PER_RUN} a run: now and random ?at=)`,
    unit: 'ms',
    runs: largeRuns.map((run) => run.p99),
    compare: '<=',
    bound: 20,
    target: '≤ 20 ms',
    note: `p50 ${ms(largeRuns.map((run) => run.p50))} ms; the same over ${few} versions: p99 ${ms(smallRuns.map((run) => run.p99))} ms`
  })
}
