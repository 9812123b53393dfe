// What every command shares: the exit statuses of the contract (0 done, 1 a check failed or the
// command was refused, 2 a usage error), the configuration read as the service reads it (the
// environment, then `.env`), the history a command works on (a data folder or a database), and the
// store's logger.
import { pino, type Logger } from 'pino'
import { ConfigError, readEnv, type Env } from '../config.js'
import { LockHeldError, StorageError } from '../storage/index.js'
import { isDatabaseUrl, redactUrl } from '../storage/database-url.js'

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

/** A failure the command reports in one line, with the exit status a shell can act on. */
export class CliError extends Error {
  override name = 'CliError'
  readonly exitCode: number

  constructor (message: string, exitCode: number = EXIT_FAILED) {
    super(message)
    this.exitCode = exitCode
  }
}

/** The validated configuration; a bad variable is a usage error that names it. */
export function loadConfig (): Env {
  try {
    return readEnv()
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT_USAGE)
    throw error
  }
}

/** `--data-dir`, else DATA_DIR (environment or `.env`), else `./data`: the service's own default. */
export function dataDirOf (option: string | undefined, config: Env): string {
  return option ?? config.DATA_DIR
}

/** Where a command finds the history: a data folder, or the PostgreSQL store of a database. */
export type HistoryTarget =
  | { kind: 'folder', dataDir: string }
  | { kind: 'database', url: string, schema: string }

export interface HistoryOptions {
  dataDir?: string
  databaseUrl?: string
}

/**
 * `--database-url`, else `--data-dir`, else DATABASE_URL (environment or `.env`), else the data
 * folder of DATA_DIR: the service's own choice, so a command given no option works on the history
 * the service beside it serves. Both options at once is a usage error (which one was meant?).
 */
export function historyOf (options: HistoryOptions, config: Env): HistoryTarget {
  if (options.databaseUrl !== undefined && options.dataDir !== undefined) {
    throw new CliError('--data-dir and --database-url name two histories; give one', EXIT_USAGE)
  }
  const url = options.databaseUrl ?? (options.dataDir === undefined ? config.DATABASE_URL : undefined)
  if (url !== undefined && url !== '') {
    if (!isDatabaseUrl(url)) throw new CliError(`--database-url ${redactUrl(url)} is not a postgres:// or postgresql:// URL with a host`, EXIT_USAGE)
    return { kind: 'database', url, schema: config.DATABASE_SCHEMA }
  }
  return { kind: 'folder', dataDir: dataDirOf(options.dataDir, config) }
}

/** The history named for people: the folder, or the database without its password. */
export function describeHistory (target: HistoryTarget): string {
  return target.kind === 'folder' ? target.dataDir : `${redactUrl(target.url)} (schema ${target.schema})`
}

/** The options of a command that reads or writes the history. */
export const DATA_DIR_OPTION = ['--data-dir <dir>', 'the data folder (default: DATA_DIR, then ./data, unless DATABASE_URL is set)'] as const
export const DATABASE_URL_OPTION = ['--database-url <url>', 'a PostgreSQL database instead of a folder (default: DATABASE_URL, unless --data-dir is given)'] as const

/**
 * The engine's logger: JSON lines on stderr, so stdout carries only a command's result. Warnings
 * (a damaged file) show by default, or what the command chooses; LOG_LEVEL, when set, chooses. Synchronous, so nothing is lost
 * when the process ends.
 */
export function cliLogger (config: Env, defaultLevel: 'warn' | 'info' = 'warn'): Logger {
  const level = process.env.LOG_LEVEL === undefined ? defaultLevel : config.LOG_LEVEL
  return pino({ level, base: { name: 'usage-vault' } }, pino.destination({ dest: 2, sync: true }))
}

/** The exit status and the one-line message for anything a command threw. */
export function describeFailure (error: unknown): { exitCode: number, message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message }
  // The lock's message names the holder (pid, host, since when) and the lock file.
  if (error instanceof LockHeldError) return { exitCode: EXIT_FAILED, message: `refused: ${error.message}` }
  if (error instanceof ConfigError) return { exitCode: EXIT_USAGE, message: error.message }
  if (error instanceof StorageError) return { exitCode: EXIT_FAILED, message: `${error.code}: ${error.message}` }
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return { exitCode: EXIT_FAILED, message: `${code === undefined ? '' : `${code}: `}${(error as Error).message}` }
}

/** Writes to stdout and waits when the pipe is full, so a large export never piles up in memory. */
export async function writeOut (text: string): Promise<void> {
  if (process.stdout.write(text)) return
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      process.stdout.off('drain', done)
      process.stdout.off('error', done)
      if (error === undefined) resolve()
      else reject(error)
    }
    process.stdout.once('drain', done)
    process.stdout.once('error', done)
  })
}
