// Connections of the PostgreSQL store: the options every connection shares (the schema as the search
// path, server-side timeouts), the wait for a server at start, a deadline on every call so that a
// database gone silent answers within seconds instead of hanging, and the mapping of its errors to
// the StorageError the HTTP layer answers with.
import postgres from 'postgres'
import { redactUrl } from './database-url.js'
import { StorageError } from './errors.js'
import type { StoreLog } from './log.js'

export type Sql = postgres.Sql
/** What queries need: a pool or one transaction of it. */
export type Queryable = postgres.Sql | postgres.TransactionSql

/** A store call that has not finished by then is answered as failed (a write with `503`, within 10 s). */
export const CALL_DEADLINE_MS = 8_000
const STATEMENT_TIMEOUT_MS = 7_000
const CONNECT_TIMEOUT_S = 5
export interface ConnectionOptions {
  url: string
  schema: string
  max: number
  /** For the writer, which also listens: postgres.js's own notification hook, not in its types. */
  onnotify?: (channel: string, payload: string) => void
  onclose?: () => void
}

export function openSql (options: ConnectionOptions): Sql {
  const listening = options.onnotify !== undefined
  const settings = {
    max: options.max,
    connect_timeout: CONNECT_TIMEOUT_S,
    // The listening connection must stay open; the others may close when idle.
    idle_timeout: listening ? null : 60,
    max_lifetime: listening ? null : 30 * 60,
    // The array types are what lets a batch go as one statement of arrays.
    fetch_types: true,
    onnotice: () => {},
    connection: {
      application_name: listening ? 'usage-vault writer' : 'usage-vault',
      search_path: options.schema,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: 10_000
    },
    ...(options.onclose === undefined ? {} : { onclose: options.onclose }),
    ...(options.onnotify === undefined ? {} : { onnotify: options.onnotify })
  }
  return postgres(options.url, settings as postgres.Options<Record<string, postgres.PostgresType>>)
}

/** Server answers that retrying will not change: wrong password, no such database or role. */
const FATAL_STATES = new Set(['28P01', '28000', '3D000', '42501'])
const FULL_STATES = new Set(['53100'])

const stateOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * The server ended the session before the statement could commit (terminated by an administrator or
 * a restart): the statement certainly did nothing, so sending it again on a new connection is safe.
 * A connection that merely closed without an answer is not: the commit may have happened.
 */
export function endedBeforeCommit (error: unknown): boolean {
  return /^57P0[123]$/.test(stateOf(error) ?? '')
}

/** Turns a failure of the database (or of the deadline) into the StorageError a caller can answer with. */
export function databaseFailure (error: unknown, what: string): StorageError {
  if (error instanceof StorageError) return error
  return FULL_STATES.has(stateOf(error) ?? '')
    ? new StorageError('STORAGE_FULL', `the database has no space left to ${what}`, { cause: error })
    : new StorageError('STORAGE_UNAVAILABLE', `the database failed to ${what}`, { cause: error })
}

/** `work`, or a StorageError once `ms` have passed without an answer. */
export async function withinDeadline<T> (work: Promise<T>, what: string, ms = CALL_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new StorageError('STORAGE_UNAVAILABLE', `the database did not answer within ${ms} ms to ${what}`)) }, ms)
    timer.unref()
  })
  try {
    return await Promise.race([work, expired])
  } catch (error) {
    throw databaseFailure(error, what)
  } finally {
    clearTimeout(timer)
  }
}

/** Codes of a failure that means the connection is gone (postgres.js's own, a socket's, or the server's 08 and 57P classes). */
function isConnectionLoss (error: unknown): boolean {
  const code = stateOf(error) ?? ''
  return /^(CONNECTION_(CLOSED|ENDED|DESTROYED)|E[A-Z]+|08...|57P..)$/.test(code)
}

/**
 * `sql.begin`, safe against a connection lost in the middle of the transaction. postgres.js 3.4.9
 * answers the failed query, then sends ROLLBACK on the connection it has just closed, from a
 * setImmediate where `socket` is null: a TypeError no caller can catch, which ends the process
 * (porsager/postgres#1208). So a body that fails because the connection is gone never settles:
 * the driver sends nothing more on it, the transaction's own promise still rejects (the driver
 * rejects it when the connection closes, and the caller's deadline bounds it anyway), and
 * PostgreSQL rolls back what the lost connection left open.
 */
export async function transaction<T> (sql: Sql, options: string, body: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  const guarded = async (tx: postgres.TransactionSql): Promise<T> => {
    try {
      return await body(tx)
    } catch (error) {
      if (isConnectionLoss(error)) await new Promise<never>(() => {})
      throw error
    }
  }
  return await (sql.begin(options, guarded) as Promise<T>)
}

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until the server answers, for up to `timeoutMs`; then fails naming DATABASE_URL (never its password). */
export async function waitForServer (sql: Sql, url: string, timeoutMs: number, log: StoreLog): Promise<void> {
  const started = Date.now()
  let delay = 250
  for (;;) {
    try {
      await withinDeadline(sql`SELECT 1`, 'answer', CONNECT_TIMEOUT_S * 1000 + 1000)
      return
    } catch (failure) {
      const error = failure instanceof StorageError && failure.cause !== undefined ? failure.cause : failure
      const reason = (error as Error).message
      const fatal = FATAL_STATES.has(stateOf(error) ?? '')
      const left = timeoutMs - (Date.now() - started)
      if (fatal || left <= 0) {
        const after = fatal ? '' : ` after trying for ${Math.round((Date.now() - started) / 1000)} s`
        throw new Error(`cannot use the PostgreSQL server of DATABASE_URL (${redactUrl(url)})${after}: ${reason}`)
      }
      log.warn({ database: redactUrl(url), reason, retryInMs: delay }, 'database not reachable yet; retrying')
      await sleep(Math.min(delay, left))
      delay = Math.min(delay * 2, 2_000)
    }
  }
}
