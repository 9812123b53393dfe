// The storage failures that callers tell apart. Each carries the HTTP status and error code of the
// contract, so the HTTP layer maps them without knowing about disks.

export type StorageErrorCode = 'STORAGE_FULL' | 'STORAGE_UNAVAILABLE'

export class StorageError extends Error {
  override name = 'StorageError'
  readonly code: StorageErrorCode
  readonly statusCode: number

  constructor (code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.statusCode = code === 'STORAGE_FULL' ? 507 : 503
  }
}

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT'])

/** Turns an error of the file system into the StorageError a caller can answer with. */
export function storageFailure (error: unknown, what: string): StorageError {
  if (error instanceof StorageError) return error
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code !== undefined && FULL_CODES.has(code)
    ? new StorageError('STORAGE_FULL', `no space left to ${what}`, { cause: error })
    : new StorageError('STORAGE_UNAVAILABLE', `storage failed to ${what}`, { cause: error })
}

/** Another process holds the data folder. */
export class LockHeldError extends Error {
  override name = 'LockHeldError'
  readonly holder: LockHolder | null

  constructor (lockFile: string, holder: LockHolder | null) {
    const who = holder === null
      ? 'another process'
      : `process ${holder.pid} on ${holder.hostname} (since ${holder.startedAt})`
    super(`the data folder is locked by ${who}: ${lockFile}`)
    this.holder = holder
  }
}

export interface LockHolder {
  pid: number
  hostname: string
  startedAt: string
  token: string
  processStart: string | null
}
