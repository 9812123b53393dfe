// `usage-vault retention`: the retention policy of the configuration (RETENTION_MAX_VERSIONS,
// RETENTION_DAYS) against a data folder or a database. `--dry-run` only reports, read-only, beside a
// running service; without it the clean-up runs, which takes the folder's lock like any writer (on a
// database it runs beside the service's instances, one clean-up at a time, as theirs do).
import type { Command } from 'commander'
import { retentionReport } from '../history/retention-report.js'
import { cliLogger, DATA_DIR_OPTION, DATABASE_URL_OPTION, historyOf, loadConfig, writeOut, type HistoryOptions } from './context.js'
import { withStore } from './store.js'

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

export function register (program: Command): void {
  program.command('retention')
    .description('apply the retention policy now, or with --dry-run show what it would delete and why each kept version stays')
    .option('--dry-run', 'change nothing; list the ids it would delete and the rules that keep the others')
    .option(...DATA_DIR_OPTION)
    .option(...DATABASE_URL_OPTION)
    .action(async (options: HistoryOptions & { dryRun?: boolean }) => {
      const config = loadConfig()
      const dryRun = options.dryRun === true
      const result = await withStore(historyOf(options, config), config, cliLogger(config), { readOnly: dryRun }, async (store) => {
        if (!dryRun) return await store.cleanup()
        // The report of GET /api/claude/console-usage/retention, so scripts can read either.
        const now = Date.now()
        return retentionReport(store.planRetention(now), now)
      })
      await writeOut(json(result))
    })
}
