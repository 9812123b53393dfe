// The lock and `kill -9`, with real child processes (test/storage/fixtures/writer.ts, run through
// the same TypeScript loader as this test): a second store on a held folder is refused, naming the
// holder; a writer killed with -9 mid-stream loses nothing it acknowledged, and its lock, left
// behind, never blocks the next start.
import t from 'tap'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { hostname } from 'node:os'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LockHeldError, createLocalStore } from '../../src/storage/index.js'
import { tempDir } from '../helper.js'
import { HISTORY, idsOnDisk, metadataOnDisk, openStore, payloadFor, quietLog, readJson, versionPath } from './fixtures/folder.js'

const WRITER = new URL('fixtures/writer.ts', import.meta.url).pathname
// The TypeScript loader tap runs this file with, without tap's own process bookkeeping.
const LOADER_ARGS = process.execArgv.filter((arg) => !arg.includes('processinfo'))

interface Child {
  process: ChildProcessWithoutNullStreams
  /** Acknowledged saves so far: id and payload number, in the order printed. */
  acks: Array<{ id: string, n: number }>
  exited: Promise<void>
  /** Resolves once `count` saves are acknowledged (0: once the store is open). */
  waitFor: (count: number) => Promise<void>
}

function startWriter (dataDir: string, firstN: number): Child {
  const child = spawn(process.execPath, [...LOADER_ARGS, WRITER, dataDir, String(firstN)], { stdio: 'pipe' })
  const acks: Child['acks'] = []
  let ready = false
  let buffered = ''
  let stderr = ''
  const waiters: Array<{ count: number, resolve: () => void }> = []
  const wake = (): void => {
    for (const waiter of [...waiters]) {
      if (ready && acks.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() as string
    for (const line of lines) {
      if (line === 'ready') ready = true
      else {
        const [id, n] = line.split(' ')
        acks.push({ id: id as string, n: Number(n) })
      }
    }
    wake()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return {
    process: child,
    acks,
    exited,
    waitFor: (count) => new Promise<void>((resolve, reject) => {
      waiters.push({ count, resolve })
      void exited.then(() => reject(new Error(`writer exited early: ${stderr}`)))
      wake()
    })
  }
}

async function kill9 (child: Child): Promise<void> {
  child.process.kill('SIGKILL')
  // Waiting for the exit also reaps the child: a zombie would still look alive to the lock.
  await child.exited
}

t.test('a second store on a held folder is refused, naming the holder', async (t) => {
  const dir = await tempDir(t)
  const first = await openStore(t, dir)
  const error = await createLocalStore({ dataDir: dir, retention: { maxVersions: 1, days: 1 }, log: quietLog }).catch((e: unknown) => e)
  t.type(error, LockHeldError)
  t.match((error as Error).message, new RegExp(`process ${process.pid} on ${hostname()}.*${join(dir, '.lock')}`))
  t.equal((await first.save(payloadFor(1))).duplicate, false, 'the first goes on')
  t.same(await first.health(), { writable: true, damaged: 0 })

  await first.close()
  t.notOk((await readdir(dir)).includes('.lock'), 'released at close')
})

t.test('locks of dead processes are taken over; a lock of another host is respected', async (t) => {
  const dir = await tempDir(t)
  const lockFile = join(dir, '.lock')
  const lock = (pid: number, host: string): string =>
    JSON.stringify({ pid, hostname: host, startedAt: '2026-01-01T00:00:00.000Z', token: 'x', processStart: null })
  // A pid that no process has (above the kernel's pid_max).
  await writeFile(lockFile, lock(4_194_305, hostname()))
  const store = await openStore(t, dir)
  await store.close()
  // A live pid, but a process started at another time than the holder: the pid was reused.
  await writeFile(lockFile, JSON.stringify({ ...JSON.parse(lock(1, hostname())), processStart: 'not-its-start-time' }))
  await (await openStore(t, dir)).close()
  // Our own pid, but not a lock this process took: an earlier life of the same pid (a container).
  await writeFile(lockFile, lock(process.pid, hostname()))
  await (await openStore(t, dir)).close()
  t.notOk((await readdir(dir)).includes('.lock'), 'released at close')

  await writeFile(lockFile, lock(4_194_305, 'another-host.example'))
  await t.rejects(createLocalStore({ dataDir: dir, retention: { maxVersions: 1, days: 1 }, log: quietLog }),
    { name: 'LockHeldError', message: /another-host\.example/ })
})

t.test('kill -9 of a writer loses nothing it acknowledged', async (t) => {
  const dir = await tempDir(t)
  const acknowledged = new Map<string, number>()
  for (let round = 0; round < 3; round++) {
    const writer = startWriter(dir, round * 1_000_000)
    t.teardown(() => kill9(writer))
    // Somewhere in the stream: after a number of acknowledgements that differs each round.
    await writer.waitFor(20 + round * 70)
    if (round === 0) {
      // Held by another live process: refused, naming it.
      await t.rejects(createLocalStore({ dataDir: dir, retention: { maxVersions: 1, days: 1 }, log: quietLog }),
        { name: 'LockHeldError', message: new RegExp(`process ${String(writer.process.pid)} on ${hostname()}`) })
    }
    await kill9(writer)
    // Its lock file stays behind, and must not block the next start (this test's, then the next writer's).
    t.ok((await readdir(dir)).includes('.lock'), 'the killed writer\'s lock is still there')
    const acks = writer.acks
    t.ok(acks.length >= 20, `round ${round}: ${acks.length} saves acknowledged before the kill`)
    t.same(acks.map((ack) => ack.id), [...acks.map((ack) => ack.id)].sort(), 'acknowledged in id order')
    for (const ack of acks) acknowledged.set(ack.id, ack.n)

    const store = await openStore(t, dir)
    const onDisk = await idsOnDisk(dir)
    const stored = new Set(store.list().map((meta) => meta.id))
    const missing = [...acknowledged.keys()].filter((id) => !stored.has(id))
    t.same(missing, [], `round ${round}: every acknowledged version is there`)
    let intact = 0
    for (const [id, n] of acknowledged) {
      const fromDisk = await readJson(versionPath(dir, id)).catch(() => null)
      if (JSON.stringify(fromDisk) === JSON.stringify(payloadFor(n))) intact++
    }
    t.equal(intact, acknowledged.size, 'each with its own payload, intact')
    t.same(await store.health(), { writable: true, damaged: 0 }, 'no damaged file')
    t.same(store.list().map((meta) => meta.id), onDisk, 'the store lists what is on disk')
    const statistics = store.statistics()
    t.equal(statistics.versionCount, onDisk.length, 'versionCount is the number of files')
    t.ok(statistics.totalVersionsCreated >= onDisk.length, 'every version is counted as created')
    t.same(await metadataOnDisk(dir), statistics)
    const names = [...await readdir(join(dir, HISTORY)), ...await readdir(dir)]
    t.same(names.filter((name) => name.includes('.tmp')), [], 'no leftovers of interrupted writes')
    await store.close()
  }
})
