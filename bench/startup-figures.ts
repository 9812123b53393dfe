// Start-up to ready (spawn to the first 200 of /health) and peak memory, on a folder of 100,000
// versions with the store's index, and on one the earlier server left (no index: every file read).
import { dropIndex } from './folders.js'
import { startService } from './processes.js'
import { row, type Row } from './table.js'

export interface StartupRuns {
  readyS: number[]
  peakMb: number[]
}

export async function measureStartups (dataDir: string, runs: number, beforeEach?: () => Promise<void>): Promise<StartupRuns> {
  const result: StartupRuns = { readyS: [], peakMb: [] }
  for (let run = 0; run < runs; run++) {
    await beforeEach?.()
    // Under any retention the folder keeps all: a start that deleted would not be the same start twice.
    const service = await startService({ dataDir, retentionMaxVersions: 1_000_000, retentionDays: 36_500 })
    result.readyS.push(service.readyMs / 1000)
    result.peakMb.push(await service.peakRssMb())
    await service.stop()
  }
  return result
}

export async function startupFigures (indexedDir: string, earlierDir: string, count: number, runs: number): Promise<Row[]> {
  const indexed = await measureStartups(indexedDir, runs)
  const earlier = await measureStartups(earlierDir, runs, () => dropIndex(earlierDir))
  const n = count.toLocaleString('en')
  const warm = 'files in the page cache (written just before)'
  return [
    row({ figure: `start-up to ready, ${n} versions`, unit: 's', runs: indexed.readyS, compare: '<=', bound: 2, target: '≤ 2 s', note: warm }),
    row({ figure: `start-up peak memory (VmHWM), ${n} versions`, unit: 'MB', runs: indexed.peakMb, compare: '<=', bound: 150, target: '≤ 150 MB' }),
    row({ figure: `start-up, ${n} versions of the earlier server (no index)`, unit: 's', runs: earlier.readyS, compare: '<=', bound: 5, target: '≤ 5 s', note: `${warm}; peak memory ${earlier.peakMb.map((mb) => mb.toFixed(0)).join(', ')} MB` })
  ]
}
