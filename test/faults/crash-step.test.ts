// Guarantee 3 of the fault suite: a crash at each step. For every write, fsync, rename and unlink
// that a save and a clean-up make in the data folder, the engine process is killed exactly at that
// call (`strace -e inject=<call>:signal=SIGKILL:when=k`, attached once the store is open) and
// restarted: the folder is then the old state or the new one, never between (a clean-up may leave
// orphans the statistics already count, which the next clean-up removes, as the contract allows).
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { attachStrace } from './lib/attach.js'
import { consistencyProblems, crashProblems, HISTORY, LATEST, readFolder, type FolderState } from './lib/folder.js'
import { missingBuild } from './lib/paths.js'
import { startWriter } from './lib/processes.js'
import { copyFolder } from './lib/snapshot.js'
import { fdPath, parseTrace, quotedPaths, straceMissing, type Call } from './lib/strace.js'
import { canonical } from '../../src/storage/payload.js'
import { payloadFor } from './fixtures/payloads.mjs'

const skip = missingBuild() ?? straceMissing()
const SYSCALLS = ['write', 'fsync', 'rename', 'unlink']
const NEW_SEQ = 900
const KEEP = 3
/** The template's versions are all received in this second (and the clean-up runs one second later). */
const CLOCK = Date.UTC(2026, 0, 25, 12, 0, 0)

type Phase = 'save' | 'cleanup'

/** A call named by what it touches, with ids and the folder taken out, so runs can be compared. */
function describe (call: Call, dataDir: string): string | null {
  const paths = call.name === 'rename' || call.name === 'unlink' ? quotedPaths(call) : [fdPath(call) ?? '']
  if (!paths.every((path) => path.startsWith(dataDir))) return null
  const names = paths.map((path) => path.slice(dataDir.length).replace(/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[0-9a-f]{8}/g, '<id>') || '/')
  return `${call.name} ${names.join(' -> ')}`
}

interface Run {
  dataDir: string
  killed: boolean
  calls: Call[]
}

/** Every file the operation may touch: strace then traces (and counts) only calls on these. */
function touched (dataDir: string, phase: Phase, before: FolderState): string[] {
  const history = join(dataDir, HISTORY)
  const newest = before.ids[before.ids.length - 1] as string
  // The clock stands still in the second of the newest id, so the next id is that one plus one.
  const next = `${newest.slice(0, -8)}${(Number.parseInt(newest.slice(-8), 16) + 1).toString(16).padStart(8, '0')}`
  const common = [dataDir, history, join(history, '_metadata.json'), join(history, '._metadata.json.tmp'), join(history, '.index.ndjson')]
  return phase === 'save'
    ? [...common, join(history, `.tmp-${next}.json`), join(history, `${next}.json`), join(dataDir, LATEST), join(dataDir, `.${LATEST}.tmp`)]
    : [...common, ...before.ids.slice(0, -KEEP).map((id) => join(history, `${id}.json`))]
}

async function runPhase (template: string, phase: Phase, before: FolderState, inject: { syscall: string, k: number } | null): Promise<Run> {
  const dataDir = await copyFolder(template, 'uv-step-')
  const traceFile = `${dataDir}.trace`
  // One thread-pool thread: every file call of the engine comes from it, in a fixed order, so the
  // k-th call of a kind on the traced files is the same call in every run.
  const writer = startWriter(dataDir, {
    mode: 'commands',
    maxVersions: KEEP,
    days: 0,
    seqStart: NEW_SEQ,
    env: { UV_THREADPOOL_SIZE: '1', WRITER_CLOCK: String(phase === 'save' ? CLOCK : CLOCK + 1000) }
  })
  const pid = await writer.pid()
  const attached = await attachStrace(pid, ['-qq', '-y', '-o', traceFile, '-e', `trace=${SYSCALLS.join(',')}`,
    ...touched(dataDir, phase, before).flatMap((path) => ['-P', path]),
    ...(inject === null ? [] : ['-e', `inject=${inject.syscall}:signal=SIGKILL:when=${inject.k}`])])
  writer.send(phase)
  await Promise.race([writer.waitFor(phase === 'save' ? /^ACK / : /^CLEANED /).catch(() => {}), writer.exited])
  // Calls that follow the answer (the statistics, the latest file, the index append) belong to the
  // operation too: a run with a kill to come waits for it; the dry run gives them time to happen.
  await Promise.race([writer.exited, sleep(inject === null ? 500 : 5000)])
  const killed = writer.child.exitCode === null && writer.child.signalCode === null ? false : writer.child.signalCode === 'SIGKILL'
  await attached.detach()
  if (!killed) writer.send('exit')
  await writer.exited
  const calls = parseTrace(await readFile(traceFile, 'utf8').catch(() => ''))
  await rm(traceFile, { force: true })
  return { dataDir, killed, calls }
}

/** Each call of the operation on the data folder, as (kind, k-th of its kind on its thread). */
function targetsOf (run: Run): Array<{ syscall: string, k: number, what: string }> {
  const counters = new Map<string, number>()
  const targets: Array<{ syscall: string, k: number, what: string }> = []
  for (const call of run.calls) {
    const key = `${call.tid} ${call.name}`
    const k = (counters.get(key) ?? 0) + 1
    counters.set(key, k)
    const what = describe(call, run.dataDir)
    if (what !== null && SYSCALLS.includes(call.name)) targets.push({ syscall: call.name, k, what })
  }
  return targets
}

const idsOf = (state: FolderState): string => state.ids.join(',')

async function stateProblems (phase: Phase, before: FolderState, dataDir: string): Promise<string[]> {
  const problems = crashProblems(await readFolder(dataDir)).map((problem) => `as the crash left it: ${problem}`)
  // The restart: a store opened on the folder (and, after a clean-up, asked to finish the job).
  const writer = startWriter(dataDir, { mode: 'commands', maxVersions: KEEP, days: 0 })
  await writer.pid()
  const after = await readFolder(dataDir)
  problems.push(...consistencyProblems(after).map((problem) => `after restart: ${problem}`))
  if (phase === 'save') {
    const added = after.ids.filter((id) => !before.ids.includes(id))
    const lost = before.ids.filter((id) => !after.ids.includes(id))
    if (lost.length > 0) problems.push(`versions lost: ${lost.join(', ')}`)
    if (added.length > 1) problems.push(`more than one version added: ${added.join(', ')}`)
    const [id] = added
    if (id !== undefined && canonical(after.payloads.get(id)) !== canonical(payloadFor(NEW_SEQ))) problems.push(`the new version ${id} does not hold the saved payload`)
  } else {
    const kept = before.ids.slice(-KEEP)
    if (!kept.every((id) => after.ids.includes(id))) problems.push(`a version retention keeps is gone: ${idsOf(after)}`)
    if (!after.ids.every((id) => before.ids.includes(id))) problems.push(`a version appeared: ${idsOf(after)}`)
    if (after.ids.length !== before.ids.length && after.ids.length !== KEEP) {
      // Orphans: allowed only when the statistics on disk already counted them as deleted.
      const deleted = typeof after.metadata === 'object' ? Number(after.metadata.totalVersionsDeleted) : NaN
      const deletedBefore = typeof before.metadata === 'object' ? Number(before.metadata.totalVersionsDeleted) : NaN
      if (!(deleted >= deletedBefore + before.ids.length - KEEP)) problems.push(`files removed (${after.ids.length} left) before the statistics counted the removal`)
    }
    writer.send('cleanup')
    await writer.waitFor(/^CLEANED /).catch(() => {})
  }
  writer.send('exit')
  await writer.exited
  if (phase === 'cleanup') {
    // The next clean-up finishes the job.
    const finished = await readFolder(dataDir)
    if (idsOf(finished) !== before.ids.slice(-KEEP).join(',')) problems.push(`after the next clean-up: ${idsOf(finished)}`)
    problems.push(...consistencyProblems(finished).map((problem) => `after the next clean-up: ${problem}`))
  }
  return problems
}

t.test('a kill at each write, fsync, rename and unlink of a save and a clean-up leaves the old or the new state', { skip: skip ?? false }, async (t) => {
  const template = await mkdtemp(join(tmpdir(), 'uv-step-template-'))
  t.teardown(() => rm(template, { recursive: true, force: true }))
  const seed = startWriter(template, { count: 6, concurrency: 1, env: { WRITER_CLOCK: String(CLOCK) } })
  t.equal((await seed.exited).code, 0, 'six versions to start from')
  const before = await readFolder(template)

  for (const phase of ['save', 'cleanup'] as const) {
    const dry = await runPhase(template, phase, before, null)
    await rm(dry.dataDir, { recursive: true, force: true })
    const targets = targetsOf(dry)
    const kinds = new Set(targets.map((target) => target.syscall))
    t.ok(kinds.has('fsync') && kinds.has('rename') && kinds.has(phase === 'save' ? 'write' : 'unlink'), `${phase}: ${targets.length} calls on the folder to crash at`)
    const missed: string[] = []
    const crashAt = async (target: { syscall: string, k: number, what: string }): Promise<void> => {
      const run = await runPhase(template, phase, before, { syscall: target.syscall, k: target.k })
      const victim = run.calls.filter((call) => call.result === null && call.name === target.syscall).pop()
      const what = victim === undefined ? null : describe(victim, run.dataDir)
      if (run.killed) {
        const problems = await stateProblems(phase, before, run.dataDir)
        t.same(problems, [], `${phase}, killed at ${what ?? `${target.syscall} #${target.k}`}: old or new state`)
      }
      await rm(run.dataDir, { recursive: true, force: true })
      if (!run.killed || what !== target.what) missed.push(`${target.what} (#${target.k}), hit ${what ?? 'nothing'}`)
    }
    // Each crash works on its own copy of the folder, so a few run at once.
    const queue = [...targets]
    await Promise.all(Array.from({ length: 3 }, async () => {
      for (let target = queue.shift(); target !== undefined; target = queue.shift()) await crashAt(target)
    }))
    t.same(missed, [], `${phase}: every call on the folder was crashed at`)
  }
})
