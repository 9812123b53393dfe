// The write key when CLAUDE_SYNC_API_KEY is unset: made once at random, kept in DATA_DIR/.api-key
// with mode 0600, and read again at every start, so the scraper's configured key keeps working.
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const WRITE_KEY_FILE = '.api-key'

export interface WriteKey {
  key: string
  /** Where the key came from: the environment, or the file (named, never the key, in the log). */
  source: 'environment' | string
  created: boolean
}

export async function resolveWriteKey (configured: string | undefined, dataDir: string): Promise<WriteKey> {
  if (configured !== undefined) return { key: configured, source: 'environment', created: false }
  const file = join(dataDir, WRITE_KEY_FILE)
  try {
    const key = (await readFile(file, 'utf8')).trim()
    if (key !== '') return { key, source: file, created: false }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  await mkdir(dataDir, { recursive: true })
  const key = randomBytes(32).toString('base64url')
  await writeFile(file, `${key}\n`, { mode: 0o600 })
  return { key, source: file, created: true }
}
