// Guarantee 1 of the fault suite: under `strace -f`, every acknowledged write was fsynced under its
// temporary name, renamed, and its directory fsynced before the acknowledgement left the process;
// the statistics and the latest file, which follow the answer, were only ever replaced whole (a
// temporary file fsynced after its last write, then renamed), and agree with the folder once the
// store has closed; retention removes a file only after statistics that no longer count it are on disk.
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { missingBuild } from './lib/paths.js'
import { startService, startWriter } from './lib/processes.js'
import { postSeq } from './lib/http.js'
import { fdPath, firstWriteOf, parseTrace, toStdout, straceMissing, traceArgs } from './lib/strace.js'
import { derivedReplaceProblems, retentionOrderProblems, saveOrderProblems } from './lib/order.js'
import { consistencyProblems, readFolder } from './lib/folder.js'

const skip = missingBuild() ?? straceMissing()

t.test('engine: each acknowledged save is durable before it is acknowledged, and retention unlinks after the statistics', { skip: skip ?? false }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-order-'))
  const traceFile = join(dataDir, '..', `${dataDir.split('/').pop() ?? 'x'}.trace`)
  t.teardown(() => Promise.all([rm(dataDir, { recursive: true, force: true }), rm(traceFile, { force: true })]))

  const writer = startWriter(dataDir, { count: 24, concurrency: 6, cleanupAfterSave: true, maxVersions: 5, days: 0, prefix: traceArgs(traceFile) })
  const exit = await writer.exited
  t.equal(exit.code, 0, 'the writer finished')
  t.equal(writer.acks.length, 24, 'every save was acknowledged')

  const calls = parseTrace(await readFile(traceFile, 'utf8'))
  const answered = writer.acks.map(({ seq, id }) => {
    const answer = firstWriteOf(calls, `ACK ${seq} ${id}`, toStdout)
    if (answer === undefined) throw new Error(`the trace has no acknowledgement of ${id}`)
    return { id, answer }
  })
  t.same(saveOrderProblems(calls, dataDir, answered), [], 'fsync(temp) < rename < fsync(dir) < acknowledgement, for each version')
  const derived = derivedReplaceProblems(calls, dataDir)
  t.ok(derived.replacements > 0, `the statistics and the latest file were replaced ${derived.replacements} times`)
  t.same(derived.problems, [], 'the statistics and the latest file: written to a temporary file, fsynced, renamed; never in place')
  t.same(consistencyProblems(await readFolder(dataDir)), [], 'once closed, the statistics and the latest file agree with the version files')

  const retention = retentionOrderProblems(calls, dataDir)
  t.equal(retention.unlinks, 24 - 5, 'retention removed the versions beyond the newest 5')
  t.same(retention.problems, [], 'each removal came after durable statistics that no longer count it')
  t.ok(calls.some((call) => call.name === 'fsync' && fdPath(call) === join(dataDir, 'console-usage-history')), 'the trace saw directory fsyncs')
})

t.test('service: each 200 to a POST left after fsync(temp), rename and fsync(dir), and retention unlinks after the statistics', { skip: skip ?? false }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-order-http-'))
  const traceFile = `${dataDir}.trace`
  t.teardown(() => Promise.all([rm(dataDir, { recursive: true, force: true }), rm(traceFile, { force: true })]))
  const service = await startService(dataDir, {
    prefix: traceArgs(traceFile),
    env: { RETENTION_MAX_VERSIONS: '4', RETENTION_DAYS: '0' }
  })
  const answers = await Promise.all(Array.from({ length: 16 }, (_, seq) => postSeq(service, seq)))
  t.same(answers.map(({ answer }) => answer.status), answers.map(() => 200), 'every POST stored')
  // Let the last clean-ups run, then close, so the trace is complete.
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal((await service.stop()).code, 0, 'the service closed')

  const calls = parseTrace(await readFile(traceFile, 'utf8'))
  const answered = answers.map(({ ack }) => {
    const id = ack?.id ?? ''
    const answer = firstWriteOf(calls, `"id":"${id}"`, (call) => (fdPath(call) ?? '').startsWith('socket:') || (fdPath(call) ?? '').startsWith('TCP'))
    if (answer === undefined) throw new Error(`the trace has no response with ${id}`)
    return { id, answer }
  })
  t.same(saveOrderProblems(calls, dataDir, answered), [], 'fsync(temp) < rename < fsync(dir) < response, for each version')
  const derived = derivedReplaceProblems(calls, dataDir)
  t.ok(derived.replacements > 0, `the statistics and the latest file were replaced ${derived.replacements} times`)
  t.same(derived.problems, [], 'the statistics and the latest file: written to a temporary file, fsynced, renamed; never in place')
  t.same(consistencyProblems(await readFolder(dataDir)), [], 'once stopped, the statistics and the latest file agree with the version files')
  const retention = retentionOrderProblems(calls, dataDir)
  t.equal(retention.unlinks, 16 - 4, 'retention removed the versions beyond the newest 4')
  t.same(retention.problems, [], 'each removal came after durable statistics that no longer count it')
})
