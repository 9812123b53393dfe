// pm2's description of the service on one host: `pm2 start ecosystem.config.js`.
//
// On a data folder: one instance in fork mode. That store has one writer (an exclusive lock on
// DATA_DIR), so cluster mode or a second instance would only fail to start. A reload is therefore a
// restart: pm2 sends SIGINT, the service finishes what it has received within 10 s and exits 0, and
// the scraper retries the connections refused meanwhile.
//
// On PostgreSQL (DATABASE_URL set, in the environment or in `.env` here): cluster mode, one
// instance per core (USAGE_VAULT_INSTANCES overrides), all on one port. Every instance serves the
// same history, so `pm2 reload` replaces them one at a time and the port never stops answering.
//
// This package is an ES module, so this file is one too; pm2 `require`s it, which Node >= 20.19
// allows for ES modules, and reads the named export `apps`.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const here = import.meta.dirname

const logDir = process.env.USAGE_VAULT_LOG_DIR ?? join(here, 'logs')

/**
 * DATABASE_URL as the service will see it: the environment wins over `.env`, as it does there. Only
 * whether it is set matters here; the service itself validates it.
 */
function databaseUrl () {
  if (process.env.DATABASE_URL !== undefined) return process.env.DATABASE_URL
  let text
  try {
    text = readFileSync(join(here, '.env'), 'utf8')
  } catch {
    return ''
  }
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?DATABASE_URL\s*=\s*(.*)$/.exec(line)
    if (match === null) continue
    const value = match[1].trim()
    const quoted = /^(["'])(.*)\1$/.exec(value)
    return quoted === null ? value.replace(/\s+#.*$/, '') : quoted[2]
  }
  return ''
}

const onDatabase = databaseUrl() !== ''

export const apps = [
  {
    name: 'usage-vault',
    cwd: here,
    // `npm run build` first: pm2 runs the compiled server, not the TypeScript sources.
    script: 'dist/src/server.js',
    exec_mode: onDatabase ? 'cluster' : 'fork',
    instances: onDatabase ? (process.env.USAGE_VAULT_INSTANCES ?? 'max') : 1,
    // The configuration comes from `.env` in this folder, which the service reads at every start
    // (the environment wins over it). It is deliberately not copied into pm2's env here: pm2 would
    // keep those values across `pm2 reload`, where they would override an edited `.env`, and
    // `pm2 save` would write the API keys into its dump file.
    env: { NODE_ENV: 'production' },

    // Ready means listening with the store open (the server sends 'ready' after listen), so
    // `pm2 reload` does not call the new process up before it can answer.
    wait_ready: true,
    // Above the 30 s for which an unreachable database is retried at start.
    listen_timeout: 40_000,
    // Above the service's own 10 s graceful close, so pm2 never cuts a close short with SIGKILL.
    kill_timeout: 12_000,

    // Restart on a crash, waiting 100 ms, then 150, 225 ... up to 15 s between attempts (pm2's
    // exponential backoff), so a folder that stays locked or unwritable does not spin the CPU.
    autorestart: true,
    exp_backoff_restart_delay: 100,
    max_memory_restart: '300M',

    // The service logs JSON lines (pino) with their own times; pm2-logrotate rotates these files.
    out_file: join(logDir, 'usage-vault.out.log'),
    error_file: join(logDir, 'usage-vault.err.log'),
    merge_logs: true,
    time: false
  }
]
