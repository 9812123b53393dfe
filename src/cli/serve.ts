// `usage-vault serve`: the service, exactly as `npm start` runs it. Importing the server module
// starts it (its top level awaits startServer), so both entry points share one start-up, signal
// handling and graceful close; `--data-dir` and `--database-url` only set DATA_DIR and DATABASE_URL
// before it reads its configuration.
import type { Command } from 'commander'
import { CliError, DATA_DIR_OPTION, DATABASE_URL_OPTION, EXIT_USAGE, loadConfig, type HistoryOptions } from './context.js'

export function register (program: Command): void {
  program.command('serve')
    .description('run the HTTP service (as npm start), configured by the environment and .env')
    .option(...DATA_DIR_OPTION)
    .option(...DATABASE_URL_OPTION)
    .action(async (options: HistoryOptions) => {
      if (options.dataDir !== undefined && options.databaseUrl !== undefined) {
        throw new CliError('--data-dir and --database-url name two histories; give one', EXIT_USAGE)
      }
      if (options.databaseUrl !== undefined) process.env.DATABASE_URL = options.databaseUrl
      if (options.dataDir !== undefined) {
        process.env.DATA_DIR = options.dataDir
        // The folder asked for, not a database of the environment; one that `.env` names is a
        // conflict to settle there, not to guess at.
        delete process.env.DATABASE_URL
        if (loadConfig().DATABASE_URL !== undefined) {
          throw new CliError('--data-dir names a folder, but .env sets DATABASE_URL; remove it there, or use --database-url', EXIT_USAGE)
        }
      }
      await import('../server.js')
    })
}
