// `usage-vault serve`: the service, exactly as `npm start` runs it. Importing the server module
// starts it (its top level awaits startServer), so both entry points share one start-up, signal
// handling and graceful close; `--data-dir` only sets DATA_DIR before it reads its configuration.
import type { Command } from 'commander'

export function register (program: Command): void {
  program.command('serve')
    .description('run the HTTP service (as npm start), configured by the environment and .env')
    .option('--data-dir <dir>', 'the data folder (default: DATA_DIR, then ./data)')
    .action(async (options: { dataDir?: string }) => {
      if (options.dataDir !== undefined) process.env.DATA_DIR = options.dataDir
      await import('../server.js')
    })
}
