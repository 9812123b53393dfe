// The exclusive lock on a data folder: a `.lock` file created with O_EXCL that names its holder. A
// lock whose holder is gone (killed with -9, or a pid now used by another program) is stale and is
// taken over, so a crash never blocks the next start. A holder on another host (a new container on
// the same volume, a folder on a shared disk) cannot be asked by pid: the holder touches the lock
// every few seconds instead, and a foreign lock left untouched for longer than that is stale.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { lstat, open, rename, unlink, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { LockHeldError, type LockHolder } from './errors.js'
import { CREATE_NEW, FILE_MODE, readTextNoFollow } from './no-follow.js'

export const LOCK_FILE = '.lock'

/** Lock files this process holds: a lock naming our own pid is stale only if it is not one of them. */
const heldHere = new Set<string>()

/** The kernel's start time of a process, which tells a reused pid from the original holder. */
function processStartTime (pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** How often a holder touches its lock file, and how long a foreign holder may go without it. */
export const LOCK_HEARTBEAT_MS = 5_000
export const FOREIGN_LOCK_STALE_MS = 30_000

function isAlive (path: string, holder: LockHolder, touchedMs: number): boolean {
  if (holder.hostname !== hostname()) return Date.now() - touchedMs <= FOREIGN_LOCK_STALE_MS
  // Our own pid but not our lock: an earlier life of this pid (a container restarted as pid 1).
  if (holder.pid === process.pid) return heldHere.has(path)
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  const started = processStartTime(holder.pid)
  return started === null || holder.processStart === null || started === holder.processStart
}

async function readHolder (path: string): Promise<LockHolder | null> {
  try {
    // Never read through a symbolic link: such a lock is nobody's (isStale).
    return JSON.parse(await readTextNoFollow(path)) as LockHolder
  } catch {
    return null
  }
}

export interface FolderLock {
  readonly path: string
  /** True while the lock file on disk is still ours. */
  isHeld: () => Promise<boolean>
  release: () => Promise<void>
}

async function createLockFile (path: string, me: LockHolder): Promise<void> {
  const file = await open(path, CREATE_NEW, FILE_MODE)
  try {
    await file.writeFile(JSON.stringify(me))
    await file.sync()
  } finally {
    await file.close()
  }
}

/** A lock file that cannot be read is being written this instant, unless it is older than that. */
async function isStale (path: string, holder: LockHolder | null): Promise<boolean> {
  const info = await lstat(path).catch(() => null)
  // A symbolic link is no lock this service makes: it is moved aside (never followed) and replaced.
  if (info?.isSymbolicLink() === true) return true
  const touched = info?.mtimeMs ?? Date.now()
  if (holder !== null) return !isAlive(path, holder, touched)
  return Date.now() - touched > UNREADABLE_LOCK_GRACE_MS
}

const UNREADABLE_LOCK_GRACE_MS = 2000

export async function acquireLock (dir: string): Promise<FolderLock> {
  const path = join(dir, LOCK_FILE)
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    token: randomUUID(),
    processStart: processStartTime(process.pid)
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await createLockFile(path, me)
      heldHere.add(path)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = await readHolder(path)
      if (attempt > 0 || !(await isStale(path, holder))) throw new LockHeldError(path, holder)
      // Renaming the stale lock away is atomic: of two starters, only one moves it.
      const aside = `${path}.stale-${process.pid}`
      await rename(path, aside).then(() => unlink(aside), () => {})
    }
  }
  const isHeld = async (): Promise<boolean> => (await readHolder(path))?.token === me.token
  const heartbeat = setInterval(() => {
    void isHeld().then((held) => {
      if (held) return utimes(path, new Date(), new Date())
    }).catch(() => {})
  }, LOCK_HEARTBEAT_MS)
  heartbeat.unref()
  return {
    path,
    isHeld,
    release: async () => {
      clearInterval(heartbeat)
      if (await isHeld()) await unlink(path)
      heldHere.delete(path)
    }
  }
}
