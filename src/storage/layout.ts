// Where the local-folder store keeps things, as the earlier server laid them out (contract section
// 3), plus the store's own files, whose names begin with `.` or `_` so operators can tell them apart.
import { join, resolve } from 'node:path'

export const HISTORY_DIR = 'console-usage-history'
export const LATEST_FILE = 'console-usage-synced.json'
export const METADATA_FILE = '_metadata.json'
export const DAMAGED_DIR = '_damaged'
export const INDEX_FILE = '.index.ndjson'
/** Version files being written; a crash may leave them, and the next start removes them. */
export const VERSION_TEMP_PREFIX = '.tmp-'

export interface FolderLayout {
  dataDir: string
  historyDir: string
  latestFile: string
  metadataFile: string
  damagedDir: string
  indexFile: string
  versionFile: (id: string) => string
  versionTempFile: (id: string) => string
}

export function folderLayout (dataDir: string): FolderLayout {
  const root = resolve(dataDir)
  const historyDir = join(root, HISTORY_DIR)
  return {
    dataDir: root,
    historyDir,
    latestFile: join(root, LATEST_FILE),
    metadataFile: join(historyDir, METADATA_FILE),
    damagedDir: join(historyDir, DAMAGED_DIR),
    indexFile: join(historyDir, INDEX_FILE),
    versionFile: (id) => join(historyDir, `${id}.json`),
    versionTempFile: (id) => join(historyDir, `${VERSION_TEMP_PREFIX}${id}.json`)
  }
}

/** The id a version file's name stands for, or null for any other file. */
export function idOfVersionFile (name: string): string | null {
  return /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[0-9a-f]{8}\.json$/.test(name) ? name.slice(0, -5) : null
}

/** Temporary files of interrupted writes: of versions (`.tmp-<id>.json`) and of replaced files (`.<name>.tmp`). */
export function isLeftover (name: string): boolean {
  return name.startsWith(VERSION_TEMP_PREFIX) || (name.startsWith('.') && name.endsWith('.tmp'))
}
