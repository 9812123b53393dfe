// `npm run bench`: builds the data folders, runs every figure against the built service as a real
// process over loopback, and prints one table of ratios to baselines measured in the same run (and
// writes it to bench/results/). Never part of `npm test`.
//
//   BENCH_RUNS=N      runs per figure (default 3; the median is reported)
//   BENCH_VERSIONS=N  the large folders' size (default 100,000)
//   BENCH_KEEP=1      keep the temporary folder (its path is printed)
//   BENCH_ONLY=a,b    only these groups: startup, reads, writes, retained, retention, forecast, metrics, postgres
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { benchRoot, writeFolder } from './folders.js'
import { forecastFigure } from './forecast-figure.js'
import { startService } from './processes.js'
import { readFigures } from './read-figures.js'
import { retentionFigure } from './retention-figure.js'
import { metricsFigures } from './metrics-figure.js'
import { npmStartFigures, startupFigures } from './startup-figures.js'
import { render, saveResults, type Row } from './table.js'
import { durableWriteFigures, retainedWriteFigure } from './write-figures.js'
import { postgresFigures } from './postgres-figures.js'

const runs = Number(process.env.BENCH_RUNS ?? 3)
const large = Number(process.env.BENCH_VERSIONS ?? 100_000)
const only = process.env.BENCH_ONLY?.split(',').map((group) => group.trim()) ?? null
const wanted = (group: string): boolean => only === null || only.includes(group)
const FEW = 100
const HOUR_MS = 60 * 60 * 1000
/** Keeps every version: the start-up and write-p99 folders must stay as generated. */
const KEEP_ALL = { retentionMaxVersions: 1_000_000, retentionDays: 36_500 }

const progress = (message: string): void => { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`) }

async function main (): Promise<void> {
  const started = performance.now()
  const root = await benchRoot()
  progress(`folders in ${root}`)
  const rows: Row[] = []
  try {
    const indexed = join(root, 'indexed')
    const earlier = join(root, 'earlier')
    const few = join(root, 'few')
    const service = join(root, 'service')
    const newestAt = Date.now() - HOUR_MS
    if (wanted('startup') || wanted('retained')) {
      progress(`writing ${large} versions with the store's index`)
      await writeFolder(indexed, { versions: large, newestAt, style: 'store' })
    }
    if (wanted('startup')) {
      progress(`writing ${large} versions as the earlier server left them`)
      await writeFolder(earlier, { versions: large, newestAt, style: 'earlier' })
      progress('start-up')
      rows.push(...await npmStartFigures(indexed, large, runs))
      rows.push(...await startupFigures(indexed, earlier, large, runs))
    }

    if (wanted('reads') || wanted('writes')) {
      await writeFolder(service, { versions: FEW, newestAt, style: 'store' })
      const running = await startService({ dataDir: service })
      try {
        if (wanted('reads')) {
          progress('reads')
          rows.push(...await readFigures(running, root, { runs, seconds: 5, connections: 50 }))
        }
        if (wanted('writes')) {
          progress('durable writes')
          rows.push(...await durableWriteFigures(running, service, { runs, seconds: 4, connections: 32, singleWrites: 400 }))
        }
      } finally {
        await running.stop()
      }
    }

    if (wanted('retained')) {
      progress('write median and p99 against the number retained')
      await writeFolder(few, { versions: FEW, newestAt, style: 'store' })
      const many = await startService({ dataDir: indexed, ...KEEP_ALL })
      const some = await startService({ dataDir: few, ...KEEP_ALL })
      try {
        rows.push(...await retainedWriteFigure(many, some, large, FEW, { runs, writes: 4000, connections: 32 }))
      } finally {
        await Promise.all([many.stop(), some.stop()])
      }
    }

    if (wanted('retention')) {
      progress('reads during a large clean-up')
      rows.push(await retentionFigure(join(root, 'retention'), { runs, deleted: 10_000, kept: 100, connections: 50, idleSeconds: 2 }))
    }

    if (wanted('metrics')) {
      progress('latest reads with metrics on and off')
      rows.push(...await metricsFigures(root, { runs, seconds: 2, connections: 50, versions: FEW, newestAt }))
    }

    if (wanted('forecast')) {
      progress('forecasts')
      rows.push(forecastFigure(large, FEW, runs))
    }

    if (wanted('postgres')) {
      rows.push(...await postgresFigures(root, { runs, versions: large, seconds: 4, connections: 32, singleWrites: 400, readConnections: 50 }, progress))
    }
  } finally {
    if (process.env.BENCH_KEEP === '1') progress(`kept ${root}`)
    else await rm(root, { recursive: true, force: true })
  }
  const table = render(rows)
  const file = await saveResults(rows, {
    date: new Date().toISOString(),
    node: process.version,
    runs,
    versions: large,
    durationS: Math.round((performance.now() - started) / 1000)
  })
  process.stdout.write(`\n${table}\n\nmedians of ${runs} runs; whole suite ${((performance.now() - started) / 1000).toFixed(0)} s; written to ${file}\n`)
}

await main()
