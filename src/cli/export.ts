// `usage-vault export`: every retained version as NDJSON on stdout, oldest first, from a data
// folder or a database. Read-only and lock-free, so a backup can run beside the service. A version that cannot be read is named on
// stderr and the export ends with status 1, so a backup script does not keep a short copy unknowingly.
import type { Command } from 'commander'
import { CliError, cliLogger, DATA_DIR_OPTION, DATABASE_URL_OPTION, historyOf, loadConfig, writeOut, type HistoryOptions } from './context.js'
import { versionLine } from './ndjson.js'
import { withStore } from './store.js'

export function register (program: Command): void {
  program.command('export')
    .description('write every version to stdout as NDJSON, one { id, receivedAt, payload } a line, oldest first')
    .option(...DATA_DIR_OPTION)
    .option(...DATABASE_URL_OPTION)
    .action(async (options: HistoryOptions) => {
      const config = loadConfig()
      const log = cliLogger(config)
      const unreadable = await withStore(historyOf(options, config), config, log, { readOnly: true }, async (store) => {
        const missed: string[] = []
        // A copy: a damaged file found while reading leaves the store's own list.
        for (const meta of [...store.list()]) {
          const version = await store.get(meta.id)
          if (version === null) missed.push(meta.id)
          else await writeOut(versionLine(version))
        }
        return missed
      })
      if (unreadable.length > 0) {
        throw new CliError(`${unreadable.length} version(s) could not be read and are not in the export: ${unreadable.join(', ')}`)
      }
    })
}
