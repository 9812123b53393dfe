// The write key when CLAUDE_SYNC_API_KEY is unset: made once at random, kept in DATA_DIR/.api-key
// with mode 0600, and read again at every start, so the scraper's configured key keeps working.
// The file is opened without following a symbolic link: a link there would let whoever controls its
// target choose the key (or receive it), so it stops the start instead. An existing file that others
// may read is made 0600.
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { MIN_KEY_LENGTH } from './config.js'

export const WRITE_KEY_FILE = '.api-key'

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_TRUNC } = constants

export interface WriteKey {
  key: string
  /** Where the key came from: the environment, or the file (named, never the key, in the log). */
  source: 'environment' | string
  created: boolean
}

/** A key file that cannot be used; its message names the file and what to do. */
export class KeyFileError extends Error {
  override name = 'KeyFileError'
}

async function readKeyFile (file: string): Promise<string | null> {
  let handle
  try {
    handle = await open(file, O_RDONLY | O_NOFOLLOW)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'ELOOP') throw new KeyFileError(`${file} is a symbolic link; no key is read or written through one: replace it with the key file itself, or set CLAUDE_SYNC_API_KEY`)
    throw error
  }
  try {
    if (((await handle.stat()).mode & 0o077) !== 0) await handle.chmod(0o600)
    return (await handle.readFile('utf8')).trim()
  } finally {
    await handle.close()
  }
}

export async function resolveWriteKey (configured: string | undefined, dataDir: string): Promise<WriteKey> {
  if (configured !== undefined) return { key: configured, source: 'environment', created: false }
  const file = join(dataDir, WRITE_KEY_FILE)
  const kept = await readKeyFile(file)
  if (kept !== null && kept !== '') {
    if (kept.length < MIN_KEY_LENGTH) throw new KeyFileError(`the key in ${file} is shorter than ${MIN_KEY_LENGTH} characters: put a longer one there, or remove the file to have one made`)
    return { key: kept, source: file, created: false }
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(32).toString('base64url')
  // An empty file is filled in; otherwise a new one, where a link planted meanwhile fails O_EXCL
  // rather than being written through.
  const handle = await open(file, kept === '' ? O_WRONLY | O_TRUNC | O_NOFOLLOW : O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
  try {
    await handle.writeFile(`${key}\n`)
  } finally {
    await handle.close()
  }
  return { key, source: file, created: true }
}
