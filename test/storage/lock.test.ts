import { readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { acquireLock, FOREIGN_LOCK_STALE_MS, LOCK_FILE, LOCK_HEARTBEAT_MS } from '../../src/storage/lock.js'
import { tempDir } from '../helper.js'

const foreignHolder = (pid: number): string => JSON.stringify({
  pid, hostname: 'another-host', startedAt: '2026-01-01T00:00:00.000Z', token: 'theirs', processStart: null
})

t.test('a lock of another host is respected while its holder keeps touching it', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, LOCK_FILE), foreignHolder(1))
  await t.rejects(acquireLock(dir), /locked by process 1 on another-host/)
  t.match(await readFile(join(dir, LOCK_FILE), 'utf8'), /another-host/, 'the holder\'s lock is left as it was')
})

t.test('a lock of another host that nobody touched for longer than the heartbeat allows is taken over', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, LOCK_FILE)
  await writeFile(path, foreignHolder(1))
  const longAgo = new Date(Date.now() - FOREIGN_LOCK_STALE_MS - 5_000)
  await utimes(path, longAgo, longAgo)
  const lock = await acquireLock(dir)
  t.teardown(() => lock.release())
  t.ok(await lock.isHeld())
  t.match(await readFile(path, 'utf8'), /"pid":/)
  t.notMatch(await readFile(path, 'utf8'), /another-host/)
})

t.test('a second lock in the same process is refused, and released locks can be taken again', async (t) => {
  const dir = await tempDir(t)
  const first = await acquireLock(dir)
  await t.rejects(acquireLock(dir), /locked by process \d+/)
  await first.release()
  const second = await acquireLock(dir)
  t.ok(await second.isHeld())
  await second.release()
})

t.test('a holder keeps touching its lock, so another host never finds it stale', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, LOCK_FILE)
  const lock = await acquireLock(dir)
  t.teardown(() => lock.release())
  const longAgo = new Date(Date.now() - FOREIGN_LOCK_STALE_MS - 5_000)
  await utimes(path, longAgo, longAgo)
  await new Promise((resolve) => setTimeout(resolve, LOCK_HEARTBEAT_MS + 1_000))
  const { mtimeMs } = await stat(path)
  t.ok(Date.now() - mtimeMs < LOCK_HEARTBEAT_MS + 1_000, 'touched within the last heartbeat')
})
