// Start-up to ready (spawn to the first 200 of /health) and peak memory, on a folder of 100,000
// versions with the store's index, and on one the earlier server left (no index: every file read);
// and `npm start` to a correct latest read, with the memory the service holds after it.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { HISTORY_DIR, idOfVersionFile } from '../src/storage/layout.js'
import { dropIndex } from './folders.js'
import { npmStarted, startService } from './processes.js'
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

/** The newest version id in a folder, as a correct latest read must name it. */
async function newestId (dataDir: string): Promise<string> {
  const ids = (await readdir(join(dataDir, HISTORY_DIR))).map(idOfVersionFile).filter((id): id is string => id !== null).sort()
  const newest = ids[ids.length - 1]
  if (newest === undefined) throw new Error(`no version in ${dataDir}`)
  return newest
}

/**
 * `npm start` as a user runs it (a build that finds nothing changed, then the service), timed from
 * the spawn to the first latest read that names the newest version, and the service's resident
 * memory (VmRSS) once it has answered it.
 */
export async function npmStartFigures (dataDir: string, count: number, runs: number): Promise<Row[]> {
  const expected = await newestId(dataDir)
  // A build beforehand, as a user's earlier start left it: the figure is the warm start.
  await npmStarted(dataDir, expected).then((started) => started.stop())
  const readyS: number[] = []
  const rssMb: number[] = []
  for (let run = 0; run < runs; run++) {
    const started = await npmStarted(dataDir, expected)
    readyS.push(started.readyMs / 1000)
    rssMb.push(await started.rssMb())
    await started.stop()
  }
  const n = count.toLocaleString('en')
  return [
    row({ figure: `\`npm start\` to a correct latest read, ${n} versions (warm)`, unit: 's', runs: readyS, compare: '<=', bound: 2, target: '≤ 2 s', note: 'nothing changed since the last build; files in the page cache' }),
    row({ figure: `RSS after that start, ${n} versions`, unit: 'MB', runs: rssMb, compare: '<=', bound: 150, target: '≤ 150 MB (moonshot 120)' })
  ]
}
