// A disk whose power can be cut: an ext4 file system in an image file, mounted through a loop
// device, and cut off as xfstests' "godown" does, with the EXT4_IOC_SHUTDOWN ioctl and the
// no-log-flush flag. From that call on nothing more reaches the device: what the file system had
// not flushed (file contents, renames, new names in a directory not yet synced, the journal's
// uncommitted transaction) is gone, as after a power cut, while the process goes on believing it
// wrote. Mounting the image again replays the journal, as the next boot would.
//
// Stopping a writer and copying its folder would not do: the kernel finishes the flushes under
// way. The image lives on a tmpfs of its own, so the loop device's I/O stays in memory.
// `noauto_da_alloc` turns off ext4's habit of flushing a file renamed over another one, so only
// the store's own fsyncs keep its files whole, as on file systems without that habit.
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const run = (command: string, args: string[]): void => { execFileSync(command, args, { stdio: 'pipe' }) }

/** `_IOR('X', 125, __u32)`, EXT4_IOC_SHUTDOWN (alias FS_IOC_SHUTDOWN), as x86_64 and arm64 encode it. */
const EXT4_IOC_SHUTDOWN = 0x8004587d
/** EXT4_GOING_FLAGS_NOLOGFLUSH: stop at once, without committing the journal first. */
const GOING_NOLOGFLUSH = 2
const SHUTDOWN_PY = `import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.ioctl(fd, ${EXT4_IOC_SHUTDOWN}, struct.pack('I', ${GOING_NOLOGFLUSH}))`

const MOUNT_OPTIONS = 'noauto_da_alloc'

export interface PowerCutDisk {
  /** Where the file system is mounted while it is. */
  path: string
  mount: () => void
  /** Cuts the power: nothing written from now on reaches the image. */
  cut: () => void
  unmount: () => void
  remove: () => Promise<void>
}

function which (command: string): boolean {
  try {
    execFileSync('which', [command], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

/** Why a power cut cannot be made here, or null when it can (root, a loop device, mkfs.ext4, python3). */
export async function powerCutMissing (): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root to mount an ext4 image through a loop device'
  for (const command of ['mkfs.ext4', 'python3', 'mount', 'umount']) {
    if (!which(command)) return `${command} is not installed (CI installs e2fsprogs and python3 with apt-get)`
  }
  let disk: PowerCutDisk | null = null
  try {
    disk = await createDisk('4m')
    disk.mount()
    disk.unmount()
    return null
  } catch (error) {
    return `cannot mount an ext4 image through a loop device here: ${(error as Error).message.split('\n')[0] ?? ''}`
  } finally {
    await disk?.remove().catch(() => {})
  }
}

/** A fresh ext4 image of `size` (`32m`) on a tmpfs of its own, not yet mounted. */
export async function createDisk (size: string): Promise<PowerCutDisk> {
  const root = await mkdtemp(join(tmpdir(), 'uv-power-'))
  const store = join(root, 'store')
  const path = join(root, 'mnt')
  await Promise.all([mkdir(store), mkdir(path)])
  const image = join(store, 'disk.img')
  let storeMounted = false
  let mounted = false
  const disk: PowerCutDisk = {
    path,
    mount: () => {
      run('mount', ['-t', 'ext4', '-o', `loop,${MOUNT_OPTIONS}`, image, path])
      mounted = true
    },
    cut: () => { run('python3', ['-c', SHUTDOWN_PY, path]) },
    unmount: () => {
      if (mounted) run('umount', [path])
      mounted = false
    },
    remove: async () => {
      // Lazy: a process still holding a file there must not keep the test alive.
      if (mounted) try { run('umount', ['-l', path]) } catch {}
      if (storeMounted) try { run('umount', ['-l', store]) } catch {}
      await rm(root, { recursive: true, force: true })
    }
  }
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${parseInt(size, 10) + 8}m`, 'tmpfs', store])
    storeMounted = true
    run('truncate', ['-s', size, image])
    run('mkfs.ext4', ['-q', '-F', image])
  } catch (error) {
    await disk.remove()
    throw error
  }
  return disk
}
