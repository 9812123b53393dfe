// The durable write, in one place: a file is written under a temporary name, fsynced, and only then
// renamed to its final name, so a crash never leaves a half-written file under that name, and once
// the rename is durable the content is too. The directory's own fsync (which makes the rename
// durable) is left to the caller, so that many renames can share one.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises'
import { constants } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { CREATE_NEW, CREATE_OR_REPLACE, FILE_MODE } from './no-follow.js'

/** Writes `data` to `tempPath` and fsyncs it; on failure the temporary file is removed. */
async function writeSynced (tempPath: string, data: string, flags: number, mtime?: Date): Promise<void> {
  try {
    // Never through a symbolic link planted under the temporary name (no-follow.ts).
    const file = await open(tempPath, flags, FILE_MODE)
    try {
      await file.writeFile(data, 'utf8')
      if (mtime !== undefined) await file.utimes(mtime, mtime)
      await file.sync()
    } finally {
      await file.close()
    }
  } catch (error) {
    await unlink(tempPath).catch(() => {})
    throw error
  }
}

async function renameOrRemove (tempPath: string, finalPath: string): Promise<void> {
  try {
    await rename(tempPath, finalPath)
  } catch (error) {
    await unlink(tempPath).catch(() => {})
    throw error
  }
}

async function writeSyncRename (tempPath: string, finalPath: string, data: string, flags: number, mtime?: Date): Promise<void> {
  await writeSynced(tempPath, data, flags, mtime)
  await renameOrRemove(tempPath, finalPath)
}

/**
 * Writes a new file `finalPath` through `tempPath`, which must not exist (two writers of one name
 * fail rather than mix). `mtime`, when given, is stamped before the fsync, as durable as the content;
 * `mode` is the new file's (before the umask).
 */
export async function writeFileDurably (tempPath: string, finalPath: string, data: string, mtime?: Date): Promise<void> {
  await writeSyncRename(tempPath, finalPath, data, CREATE_NEW, mtime)
}

/** The temporary name of a replaced file: `.<name>.tmp` beside it, which the next start removes. */
export const replacementTempFile = (path: string): string => join(dirname(path), `.${basename(path)}.tmp`)

/**
 * Replaces the content of `path` atomically and durably (readers see the old or the new whole file,
 * and after a power cut the new one is not empty). One replacement of a file at a time: the caller
 * serialises them. `mode` applies when the temporary file is new.
 */
export async function replaceFileDurably (path: string, data: string): Promise<void> {
  await writeSyncRename(replacementTempFile(path), path, data, CREATE_OR_REPLACE)
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

/**
 * A directory kept open for its fsyncs: one call per fsync instead of open, fsync and close, which
 * matters on the path of every commit. After a failure the handle is dropped and the next fsync
 * opens the directory again, as `syncDirectory` would.
 */
export class HeldDirectory {
  readonly #path: string
  #handle: Promise<FileHandle> | null = null

  constructor (path: string) {
    this.#path = path
  }

  async sync (): Promise<void> {
    this.#handle ??= open(this.#path, constants.O_RDONLY | constants.O_DIRECTORY)
    try {
      await (await this.#handle).sync()
    } catch (error) {
      await this.close()
      throw error
    }
  }

  async close (): Promise<void> {
    const handle = this.#handle
    this.#handle = null
    await (await handle?.catch(() => null))?.close().catch(() => {})
  }
}
