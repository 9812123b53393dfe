// Real file systems for faults that only a mount can make: a tiny tmpfs that fills up, and a bind
// mount that can be turned read-only under a running service. Both need root (CI runs as root);
// without it the tests skip themselves and say why.
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const run = (args: string[]): void => { execFileSync(args[0] as string, args.slice(1), { stdio: 'pipe' }) }

/** Why mounts cannot be made here, or null when they can. */
export function mountMissing (): string | null {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs or a read-only bind mount'
  let probe: string | null = null
  try {
    probe = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim()
    run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe])
    run(['umount', probe])
    return null
  } catch (error) {
    return `cannot mount here: ${(error as Error).message.split('\n')[0] ?? ''}`
  } finally {
    if (probe !== null) execFileSync('rmdir', [probe])
  }
}

export interface Mount {
  path: string
  unmount: () => Promise<void>
}

/** A tmpfs of `size` (`1m`) on a fresh folder. */
export async function mountTmpfs (size: string): Promise<Mount> {
  const path = await mkdtemp(join(tmpdir(), 'uv-tmpfs-'))
  run(['mount', '-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', path])
  return {
    path,
    unmount: async () => {
      // Lazy: a service that still holds a file there must not keep the mount (and the test) alive.
      try { run(['umount', '-l', path]) } catch {}
      await rm(path, { recursive: true, force: true })
    }
  }
}

/**
 * Lays a read-only view of `path` over itself: every later open through the path fails with EROFS,
 * as after a remount, while descriptors the service already holds stay as they were (a remount of a
 * mount with files open for writing is refused as busy). `readWrite` takes the view away.
 */
export function readOnlyOverlay (path: string): { readWrite: () => void } {
  run(['mount', '--bind', path, path])
  try {
    run(['mount', '-o', 'remount,bind,ro', path])
  } catch (error) {
    run(['umount', '-l', path])
    throw error
  }
  let mounted = true
  return {
    readWrite: () => {
      if (mounted) run(['umount', '-l', path])
      mounted = false
    }
  }
}
