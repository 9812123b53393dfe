// Opening the data folder's files without following symbolic links (contract section 3): a link
// planted in the folder must never be read through, written through or served. O_NOFOLLOW makes
// the open fail with ELOOP when the last part of the path is a link; O_EXCL does the same for a
// file being created. Files this store creates are 0600 and its folders 0700: usage history is private.
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NOFOLLOW } = constants

export const FILE_MODE = 0o600
export const DIRECTORY_MODE = 0o700

/** Flags of the opens the store makes: reading, creating a new file, replacing one, appending. */
export const READ = O_RDONLY | O_NOFOLLOW
export const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW
export const CREATE_OR_REPLACE = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW
export const APPEND = O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW

/** True for the error of an open that met a symbolic link. */
export const isLinkRefusal = (error: unknown): boolean => (error as NodeJS.ErrnoException | null)?.code === 'ELOOP'

/** The reason recorded (log, /health, verify) for a link found where a file of the store belongs. */
export const LINK_REFUSED = 'symbolic link; not followed'

/** A file's text, refusing (ELOOP) to read it through a symbolic link. */
export async function readTextNoFollow (path: string): Promise<string> {
  const handle = await open(path, READ)
  try {
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}
