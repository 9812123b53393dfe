// Guarantee 5 of the fault suite: I/O errors. strace, attached to the running service, makes the
// k-th fsync (or rename) of one POST fail with EIO, for every k the POST makes. A fault before the
// answer gives 503 with nothing acknowledged or visible (a failed fsync is never retried into a
// success); the next write succeeds. A fault after the answer (the clean-up) leaves the version stored.
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { attachStrace } from './lib/attach.js'
import { ackProblems, consistencyProblems, settledFolder, type Ack } from './lib/folder.js'
import { errorCode, postSeq, request, USAGE, type Answer } from './lib/http.js'
import { missingBuild } from './lib/paths.js'
import { startService, type Service } from './lib/processes.js'
import { fdPath, parseTrace, straceMissing, written, type Call } from './lib/strace.js'

const skip = missingBuild() ?? straceMissing()

interface Faulted {
  answer: Answer
  ack: Ack | null
  /** The call that failed with EIO, and whether that was before the answer left. */
  injected: Call | undefined
  beforeAnswer: boolean
}

async function postUnderStrace (service: Service, dataDir: string, seq: number, syscall: string, k: number | null): Promise<Faulted & { calls: Call[] }> {
  const traceFile = join(tmpdir(), `uv-eio-${process.pid}-${seq}.trace`)
  const attached = await attachStrace(await service.pid(), ['-qq', '-y', '-s', '256', '-o', traceFile, '-e', `trace=${syscall},write,writev`,
    ...(k === null ? [] : ['-e', `inject=${syscall}:error=EIO:when=${k}`])])
  let posted
  try {
    posted = await postSeq(service, seq)
    // What follows the answer (the statistics, the latest file, the clean-up) is part of what the
    // POST set off: wait until the folder has settled.
    await settledFolder(dataDir)
  } finally {
    await attached.detach()
  }
  const calls = parseTrace(await readFile(traceFile, 'utf8'))
  await rm(traceFile, { force: true })
  const injected = calls.find((call) => call.result?.includes('INJECTED') === true)
  const response = calls.find((call) => ['write', 'writev'].includes(call.name) && /^(socket|TCP)/.test(fdPath(call) ?? '') && written(call).startsWith('HTTP/1.1'))
  return { ...posted, calls, injected, beforeAnswer: injected !== undefined && (response === undefined || injected.start < response.start) }
}

for (const syscall of ['fsync', 'rename']) {
  t.test(`${syscall} failing with EIO at each of its calls in a POST: 503, nothing stored, then writes work`, { skip: skip ?? false }, async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'uv-eio-'))
    t.teardown(() => rm(dataDir, { recursive: true, force: true }))
    // One pool thread: the k-th call of a POST is the same call every time.
    const service = await startService(dataDir, { env: { UV_THREADPOOL_SIZE: '1', LOG_LEVEL: 'warn' } })
    t.teardown(() => service.stop())
    const acks: Ack[] = []
    let seq = 0
    const dry = await postUnderStrace(service, dataDir, seq++, syscall, null)
    if (dry.ack !== null) acks.push(dry.ack)
    const count = dry.calls.filter((call) => call.name === syscall).length
    t.ok(count >= 2, `a POST makes ${count} ${syscall} calls`)

    let beforeAnswer = 0
    for (let k = 1; k <= count; k++) {
      const faulted = await postUnderStrace(service, dataDir, seq++, syscall, k)
      t.ok(faulted.injected !== undefined, `${syscall} #${k} failed with EIO`)
      const where = `${syscall} #${k} (${fdPath(faulted.injected as Call) ?? faulted.injected?.args ?? '?'})`
      if (faulted.ack !== null) acks.push(faulted.ack)
      const state = await settledFolder(dataDir)
      if (faulted.beforeAnswer) {
        beforeAnswer++
        if (syscall === 'fsync' || faulted.answer.status !== 200) {
          // A rename may be retried (the state it leaves is plain to see); a failed fsync may not.
          t.equal(faulted.answer.status, 503, `${where} failed before the answer: 503`)
          t.equal(errorCode(faulted.answer), 'STORAGE_UNAVAILABLE', 'error code STORAGE_UNAVAILABLE')
          t.equal(state.ids.length, acks.length, 'no version file for the refused write')
          const latest = await request(service, USAGE)
          t.equal((latest.body?.versionInfo as { id?: string } | undefined)?.id, acks[acks.length - 1]?.id, 'the latest read is still the last acknowledged one')
        }
      } else {
        t.equal(faulted.answer.status, 200, `${where} failed after the answer, in the clean-up: the version stands`)
      }
      t.same(consistencyProblems(state), [], 'the folder agrees with itself: no partial file, statistics and latest file as acknowledged')
      const next = await postSeq(service, seq++)
      t.equal(next.answer.status, 200, 'the next write after the fault succeeds')
      if (next.ack !== null) acks.push(next.ack)
      // Its own work after the answer must be done before the next POST is traced.
      await settledFolder(dataDir)
    }
    // Before the answer a POST makes two fsyncs (its file, the folder) and one rename (its file).
    t.ok(beforeAnswer >= (syscall === 'fsync' ? 2 : 1), `${beforeAnswer} of the ${syscall} calls before the answer were failed`)
    const state = await settledFolder(dataDir)
    t.same(ackProblems(state, acks), [], 'every acknowledged version is on disk')
    t.same(consistencyProblems(state), [], 'the folder agrees with itself')
    const listed = await request(service, `${USAGE}/versions?limit=1000`)
    t.equal(listed.body?.total, acks.length, 'only acknowledged versions are listed')
  })
}
