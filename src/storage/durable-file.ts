// The durable write, in one place: a new file is written under a temporary name, fsynced, and only
// then renamed to its final name, so a crash never leaves a half-written file under that name. The
// directory's own fsync (which makes the rename durable) is left to the caller, so that many
// renames can share one.
import { open, rename, unlink } from 'node:fs/promises'
import { constants } from 'node:fs'

/**
 * Writes `data` to `tempPath`, fsyncs it and renames it to `finalPath`. `mtime`, when given, is
 * stamped on the file before the fsync, so it is as durable as the content.
 */
export async function writeFileDurably (tempPath: string, finalPath: string, data: string, mtime?: Date): Promise<void> {
  try {
    const file = await open(tempPath, 'wx', 0o644)
    try {
      await file.writeFile(data, 'utf8')
      if (mtime !== undefined) await file.utimes(mtime, mtime)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tempPath, finalPath)
  } catch (error) {
    await unlink(tempPath).catch(() => {})
    throw error
  }
}

/** Makes the entries of a directory (renames, new names, unlinks) durable. */
export async function syncDirectory (dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Fsyncs an existing file's content. */
export async function syncFile (path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
