// `usage-vault verify`: reads every version of a data folder or a database and checks that it
// parses, and that the statistics (and on a folder the latest file) agree with the versions.
// Read-only and lock-free, so it runs beside a service; it lists each problem on stdout and exits 1
// when there is one.
//
// On a folder it reads the files itself rather than through the store: the store trusts its index
// for files whose size has not changed, and a check must not trust what it checks. It never reads
// through a symbolic link: a link where a file of the store belongs is a problem of its own. On a
// database the store holds no index: what it loads at open is what the database holds, read afresh.
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import { idSecond } from '../storage/ids.js'
import { folderLayout, idOfVersionFile, type FolderLayout } from '../storage/layout.js'
import { LOCK_FILE } from '../storage/lock.js'
import { isLinkRefusal, LINK_REFUSED, readTextNoFollow } from '../storage/no-follow.js'
import { futureLimit, MAX_VERSION_FILE_BYTES, parseVersionText, readStatistics } from '../storage/open-folder.js'
import { WRITE_KEY_FILE } from '../write-key.js'
import { canonical } from '../storage/payload.js'
import type { Statistics, VersionStore } from '../storage/index.js'
import { cliLogger, DATA_DIR_OPTION, DATABASE_URL_OPTION, describeHistory, EXIT_FAILED, historyOf, loadConfig, writeOut, type HistoryOptions } from './context.js'
import { withStore } from './store.js'

interface Problem {
  file: string
  problem: string
}

async function checkVersionFiles (historyDir: string, versionFile: (id: string) => string, latestAllowed: number): Promise<{ checked: number, problems: Problem[] }> {
  const names = await readdir(historyDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw error
  })
  const problems: Problem[] = []
  let checked = 0
  for (const name of names.sort()) {
    const id = idOfVersionFile(name)
    if (id === null) continue
    const file = versionFile(id)
    if (idSecond(id) > latestAllowed) {
      problems.push({ file, problem: 'named for a time more than 1 minute in the future' })
      continue
    }
    let text: string
    try {
      const info = await lstat(file)
      if (info.isFile() && info.size > MAX_VERSION_FILE_BYTES) {
        problems.push({ file, problem: 'over 1 MiB' })
        continue
      }
      text = await readTextNoFollow(file)
    } catch (error) {
      // Removed by a running service's retention since the listing: not a problem.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      if (isLinkRefusal(error)) {
        problems.push({ file, problem: LINK_REFUSED })
        continue
      }
      throw error
    }
    checked++
    try {
      parseVersionText(text)
    } catch (error) {
      problems.push({ file, problem: (error as Error).message })
    }
  }
  return { checked, problems }
}

/**
 * Times agree when they fall in the same UTC second: the earlier server wrote milliseconds in its
 * statistics but only seconds in file names, and the name is what its versions' receipt times are.
 */
function sameSecond (a: string | null | undefined, b: string | null): boolean {
  if (a === null || a === undefined || b === null) return (a ?? null) === b
  return Math.floor(Date.parse(a) / 1000) === Math.floor(Date.parse(b) / 1000)
}

async function checkStatistics (metadataFile: string, expected: Statistics): Promise<Problem[]> {
  const onDisk = await readStatistics(metadataFile)
  if (onDisk === 'damaged') return [{ file: metadataFile, problem: 'not a JSON object' }]
  if (onDisk === null) {
    return expected.versionCount === 0 ? [] : [{ file: metadataFile, problem: 'missing' }]
  }
  return statisticsProblems(onDisk, expected).map((problem) => ({ file: metadataFile, problem }))
}

/** Where stored statistics disagree with the versions they count. */
function statisticsProblems (onDisk: Partial<Statistics>, expected: Statistics): string[] {
  const problems: string[] = []
  if (onDisk.versionCount !== expected.versionCount) {
    problems.push(`versionCount is ${String(onDisk.versionCount)}, the folder holds ${expected.versionCount}`)
  }
  if (!sameSecond(onDisk.oldestTimestamp, expected.oldestTimestamp)) {
    problems.push(`oldestTimestamp is ${String(onDisk.oldestTimestamp)}, the oldest version was received at ${String(expected.oldestTimestamp)}`)
  }
  if (!sameSecond(onDisk.newestTimestamp, expected.newestTimestamp)) {
    problems.push(`newestTimestamp is ${String(onDisk.newestTimestamp)}, the newest version was received at ${String(expected.newestTimestamp)}`)
  }
  const created = onDisk.totalVersionsCreated ?? 0
  const deleted = onDisk.totalVersionsDeleted ?? 0
  if (created < expected.versionCount + deleted) {
    problems.push(`totalVersionsCreated (${created}) is less than versionCount + totalVersionsDeleted (${expected.versionCount + deleted})`)
  }
  return problems
}

/**
 * A database's history: every version read back whole (a payload that no longer parses is refused
 * by the store's read), and the statistics row against the versions the database holds.
 */
async function checkDatabase (store: VersionStore, where: string): Promise<{ checked: number, problems: Problem[] }> {
  const problems: Problem[] = []
  const versions = [...store.list()]
  for (const meta of versions) {
    const version = await store.get(meta.id).catch((error: unknown) => {
      problems.push({ file: `${where} ${meta.id}`, problem: (error as Error).message })
      return undefined
    })
    if (version === null) problems.push({ file: `${where} ${meta.id}`, problem: 'listed but cannot be read' })
  }
  const oldest = versions[0]
  const newest = versions[versions.length - 1]
  const statistics = store.statistics()
  const expected: Statistics = {
    ...statistics,
    versionCount: versions.length,
    oldestTimestamp: oldest === undefined ? null : new Date(oldest.receivedAt).toISOString(),
    newestTimestamp: newest === undefined ? null : new Date(newest.receivedAt).toISOString()
  }
  for (const problem of statisticsProblems(statistics, expected)) problems.push({ file: `${where} statistics`, problem })
  return { checked: versions.length, problems }
}

async function checkLatestFile (latestFile: string, store: VersionStore): Promise<Problem[]> {
  const latest = store.latest()
  if (latest === null) return []
  let text: string
  try {
    text = await readTextNoFollow(latestFile)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [{ file: latestFile, problem: 'missing' }]
    if (isLinkRefusal(error)) return [{ file: latestFile, problem: LINK_REFUSED }]
    throw error
  }
  try {
    if (canonical(JSON.parse(text)) === canonical(latest.payload)) return []
  } catch {
    return [{ file: latestFile, problem: 'not valid JSON' }]
  }
  return [{ file: latestFile, problem: `does not hold the newest version (${latest.meta.id})` }]
}

/** The store's own files and `_damaged/`, which must never be symbolic links (contract section 3). */
async function checkOwnFiles (layout: FolderLayout): Promise<Problem[]> {
  const files = [layout.indexFile, layout.metadataFile, layout.damagedDir, join(layout.dataDir, LOCK_FILE), join(layout.dataDir, WRITE_KEY_FILE)]
  const links = await Promise.all(files.map(async (file) => (await lstat(file).catch(() => null))?.isSymbolicLink() === true))
  return files.filter((_, index) => links[index]).map((file) => ({ file, problem: LINK_REFUSED }))
}

export function register (program: Command): void {
  program.command('verify')
    .description('check that every version parses and the statistics agree; list what does not (exit 1)')
    .option(...DATA_DIR_OPTION)
    .option(...DATABASE_URL_OPTION)
    .action(async (options: HistoryOptions) => {
      const config = loadConfig()
      const target = historyOf(options, config)
      if (target.kind === 'database') {
        const where = describeHistory(target)
        const { checked, problems } = await withStore(target, config, cliLogger(config), { readOnly: true }, (store) => checkDatabase(store, where))
        await report(problems, checked, where)
        return
      }
      const layout = folderLayout(target.dataDir)
      const { checked, problems } = await withStore(target, config, cliLogger(config), { readOnly: true }, async (store) => {
        // As the store judges it at start: past both the clock and the newest receipt recorded.
        const files = await checkVersionFiles(layout.historyDir, layout.versionFile, futureLimit(await readStatistics(layout.metadataFile), Date.now()))
        return {
          checked: files.checked,
          problems: [
            ...files.problems,
            ...await checkOwnFiles(layout),
            ...await checkStatistics(layout.metadataFile, store.statistics()),
            ...await checkLatestFile(layout.latestFile, store)
          ]
        }
      })
      await report(problems, checked, layout.dataDir)
    })
}

async function report (problems: readonly Problem[], checked: number, where: string): Promise<void> {
  for (const { file, problem } of problems) await writeOut(`${file}: ${problem}\n`)
  if (problems.length > 0) {
    await writeOut(`verify: ${problems.length} problem(s) in ${where} (${checked} versions read)\n`)
    process.exitCode = EXIT_FAILED
    return
  }
  await writeOut(`verify: ok, ${checked} versions in ${where} parse and the statistics agree\n`)
}
