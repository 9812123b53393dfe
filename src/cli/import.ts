// `usage-vault import SOURCE`: versions from an export (an NDJSON file, or `-` for stdin) or from
// another data folder, with their ids and receipt times, into a data folder or a database (the way
// a history moves from one store to the other). The store skips ids it already holds, so importing
// the same source again changes nothing. It takes the lock of a target folder.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { Logger } from 'pino'
import type { Env } from '../config.js'
import type { ImportedVersion } from '../storage/index.js'
import { CliError, cliLogger, DATA_DIR_OPTION, DATABASE_URL_OPTION, EXIT_USAGE, historyOf, loadConfig, writeOut, type HistoryOptions } from './context.js'
import { importProblem } from './import-checks.js'
import { readVersionLines } from './ndjson.js'
import { withStore } from './store.js'

/** Every readable version of another data folder, opened read-only (a service may hold it), each
 * checked as a line of an export is. */
async function versionsOfFolder (dir: string, config: Env, log: Logger): Promise<ImportedVersion[]> {
  const now = Date.now()
  return await withStore({ kind: 'folder', dataDir: dir }, config, log, { readOnly: true }, async (source) => {
    const versions: ImportedVersion[] = []
    for (const meta of [...source.list()]) {
      const version = await source.get(meta.id)
      if (version === null) {
        log.warn({ id: meta.id, folder: dir }, 'version could not be read; not imported')
        continue
      }
      const problem = importProblem({ id: meta.id, receivedAt: meta.receivedAt, payload: version.payload }, now)
      if (problem !== null) throw new CliError(`${dir}: version ${meta.id}: ${problem}`)
      versions.push({ id: meta.id, receivedAt: meta.receivedAt, payload: version.payload })
    }
    return versions
  })
}

async function readSource (source: string, config: Env, log: Logger): Promise<ImportedVersion[]> {
  if (source === '-') return await readVersionLines(process.stdin)
  const info = await stat(source).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${source}: ${error.code ?? error.message}`, EXIT_USAGE)
  })
  if (info.isDirectory()) return await versionsOfFolder(source, config, log)
  return await readVersionLines(createReadStream(source))
}

export function register (program: Command): void {
  program.command('import')
    .description('add the versions of an NDJSON export (a file, or - for stdin) or of another data folder, keeping ids and receipt times; ids already present are skipped')
    .argument('<source>', 'an NDJSON file, -, or a data folder')
    .option(DATA_DIR_OPTION[0], 'the data folder to import into (default: DATA_DIR, then ./data, unless DATABASE_URL is set)')
    .option(DATABASE_URL_OPTION[0], 'import into a PostgreSQL database instead (default: DATABASE_URL, unless --data-dir is given)')
    .action(async (source: string, options: HistoryOptions) => {
      const config = loadConfig()
      const log = cliLogger(config)
      const target = historyOf(options, config)
      if (target.kind === 'folder' && source !== '-' && resolve(source) === resolve(target.dataDir)) {
        throw new CliError('the source is the data folder itself', EXIT_USAGE)
      }
      // Read (and check) the whole source before opening the target: a bad line imports nothing.
      const versions = await readSource(source, config, log)
      const result = await withStore(target, config, log, { readOnly: false }, (store) => store.importVersions(versions))
      await writeOut(`${JSON.stringify(result)}\n`)
    })
}
