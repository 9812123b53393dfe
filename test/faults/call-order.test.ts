// Guarantee 1 of the fault suite: under `strace -f`, every acknowledged write was fsynced under its
// temporary name, renamed, and its directory fsynced (and the statistics and the latest file
// replaced the same way) before the acknowledgement left the process; retention removes a file
// only after statistics that no longer count it are on disk.
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { missingBuild } from './lib/paths.js'
import { startWriter } from './lib/processes.js'
import { fdPath, firstWriteOf, parseTrace, toStdout, straceMissing, traceArgs } from './lib/strace.js'
import { retentionOrderProblems, saveOrderProblems } from './lib/order.js'

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
  t.same(saveOrderProblems(calls, dataDir, answered), [], 'fsync(temp) < rename < fsync(dir) < acknowledgement, for versions, statistics and the latest file')

  const retention = retentionOrderProblems(calls, dataDir)
  t.equal(retention.unlinks, 24 - 5, 'retention removed the versions beyond the newest 5')
  t.same(retention.problems, [], 'each removal came after durable statistics that no longer count it')
  t.ok(calls.some((call) => call.name === 'fsync' && fdPath(call) === join(dataDir, 'console-usage-history')), 'the trace saw directory fsyncs')
})
