// The result table: one row per figure with its baseline, ratio and target, printed for people and
// written as JSON for comparisons between runs.
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { median, NOISE_LIMIT, spread } from './stats.js'

export interface Row {
  figure: string
  unit: string
  /** Median of the figure's runs. */
  value: number
  /** Median of the baseline's runs; null for an absolute figure. */
  baseline: number | null
  /** value / baseline, or the value itself for an absolute figure. */
  ratio: number
  target: string
  met: boolean
  runs: number[]
  baselineRuns: number[]
  /** The runs (or the baseline's) spread more than NOISE_LIMIT: the ratio is not to be trusted. */
  noisy: boolean
  note?: string
}

export interface RowInput {
  figure: string
  unit: string
  runs: number[]
  baselineRuns?: number[]
  /** `>=` or `<=` the bound, compared with the ratio (or with the value when there is no baseline). */
  compare: '>=' | '<='
  bound: number
  /** How the target reads in the table, e.g. `≥ 0.8` or `≤ 2 s`. */
  target: string
  note?: string
}

export function row (input: RowInput): Row {
  const value = median(input.runs)
  const baselineRuns = input.baselineRuns ?? []
  const baseline = baselineRuns.length === 0 ? null : median(baselineRuns)
  const ratio = baseline === null ? value : value / baseline
  const met = input.compare === '>=' ? ratio >= input.bound : ratio <= input.bound
  const noisy = spread(input.runs) > NOISE_LIMIT || spread(baselineRuns) > NOISE_LIMIT
  return {
    figure: input.figure,
    unit: input.unit,
    value,
    baseline,
    ratio,
    target: input.target,
    met,
    runs: input.runs,
    baselineRuns,
    noisy,
    ...(input.note === undefined ? {} : { note: input.note })
  }
}

const format = (value: number): string => {
  if (!Number.isFinite(value)) return 'n/a'
  if (Math.abs(value) >= 100) return value.toFixed(0)
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(3)
}

const spreadText = (values: number[]): string => values.length < 2 ? '' : ` ±${(spread(values) * 100).toFixed(0)}%`

export function render (rows: Row[]): string {
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', 'verdict']
  const body = rows.map((r) => [
    r.figure,
    `${format(r.value)} ${r.unit}${spreadText(r.runs)}`,
    r.baseline === null ? '(absolute)' : `${format(r.baseline)} ${r.unit}${spreadText(r.baselineRuns)}`,
    r.baseline === null ? '' : format(r.ratio),
    r.target,
    `${r.met ? 'met' : 'MISSED'}${r.noisy ? ' (noisy: spread > 15 %, do not trust)' : ''}`
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] as string).length)))
  const line = (cells: string[]): string => `| ${cells.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`
  const notes = rows.filter((r) => r.note !== undefined).map((r) => `- ${r.figure}: ${r.note as string}`)
  return [
    line(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...body.map(line),
    ...(notes.length === 0 ? [] : ['', ...notes])
  ].join('\n')
}

/** Writes the rows to `bench/results/<time>.json` (the folder is kept out of git but for .gitkeep). */
export async function saveResults (rows: Row[], context: Record<string, unknown>): Promise<string> {
  const folder = fileURLToPath(new URL('../../bench/results/', import.meta.url))
  await mkdir(folder, { recursive: true })
  const file = `${folder}${new Date().toISOString().replaceAll(':', '-')}.json`
  await writeFile(file, `${JSON.stringify({ ...context, rows }, null, 2)}\n`)
  return file
}
