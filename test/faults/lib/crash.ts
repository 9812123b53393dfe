// Rounds of kill -9 at a random moment while several saves are in flight, on one folder that
// lives through every round. After each kill the folder is checked as the crash left it (nothing
// torn, nothing acknowledged missing) and again after a restart (statistics and latest file equal
// to the folder and counting every acknowledged version, leftovers gone), the way SQLite and etcd
// test crash recovery.
import { setTimeout as sleep } from 'node:timers/promises'
import { ackProblems, consistencyProblems, crashProblems, readFolder, type Ack } from './folder.js'
import { postSeq } from './http.js'
import { restartStore, startService, startWriter } from './processes.js'
import type { Random } from './random.js'
import { seqOf } from '../fixtures/payloads.mjs'

export interface CrashOptions {
  rounds: number
  maxVersions: number
  concurrency: number
  /** Shortest and longest wait before the kill, in milliseconds after the store opened. */
  minDelayMs: number
  maxDelayMs: number
}

export interface CrashReport {
  problems: string[]
  acknowledged: number
  /** Rounds in which the kill came while saves were in flight (some acknowledged, more started). */
  killedMidWrite: number
}

/** A kill and a check, the same for the engine writer and the service. */
export async function checkAfterCrash (dataDir: string, round: number, acks: readonly Ack[], allAcks: readonly Ack[], maxVersions: number, restart: () => Promise<void>): Promise<string[]> {
  const problems: string[] = []
  const before = await readFolder(dataDir)
  problems.push(...crashProblems(before).map((problem) => `round ${round}, as the crash left it: ${problem}`))
  problems.push(...ackProblems(before, allAcks, maxVersions).map((problem) => `round ${round}, as the crash left it: ${problem}`))
  await restart()
  const after = await readFolder(dataDir)
  problems.push(...consistencyProblems(after).map((problem) => `round ${round}, after restart: ${problem}`))
  problems.push(...ackProblems(after, allAcks, maxVersions).map((problem) => `round ${round}, after restart: ${problem}`))
  // The derived files may lag behind the acknowledgements until the restart (contract section 4,
  // "Derived files"); after it, the latest file holds the newest version, at least as new as every
  // acknowledged one (ids, not sequence numbers, give the order: concurrent POSTs need not arrive
  // in the order they were made), and the statistics count every acknowledged version.
  const newestAck = acks.reduce((max, ack) => (ack.id > max ? ack.id : max), '')
  if (newestAck !== '' && typeof after.latest === 'object') {
    const latestSeq = seqOf(after.latest)
    const latestId = [...after.payloads].find(([, payload]) => seqOf(payload) === latestSeq)?.[0] ?? ''
    if (latestId < newestAck) problems.push(`round ${round}, after restart: the latest file holds seq ${String(latestSeq)} (version ${latestId || 'not in the folder'}), older than the acknowledged ${newestAck}`)
  }
  if (typeof after.metadata === 'object' && Number(after.metadata.totalVersionsCreated) < allAcks.length) {
    problems.push(`round ${round}, after restart: _metadata.json counts ${String(after.metadata.totalVersionsCreated)} versions created, but ${allAcks.length} were acknowledged`)
  }
  return problems
}

export async function engineCrashRounds (dataDir: string, random: Random, options: CrashOptions): Promise<CrashReport> {
  const report: CrashReport = { problems: [], acknowledged: 0, killedMidWrite: 0 }
  const allAcks: Ack[] = []
  for (let round = 0; round < options.rounds && report.problems.length === 0; round++) {
    const writer = startWriter(dataDir, {
      seqStart: round * 1_000_000,
      concurrency: options.concurrency,
      cleanupAfterSave: true,
      maxVersions: options.maxVersions,
      days: 0
    })
    const pid = await writer.pid()
    await sleep(random.int(options.minDelayMs, options.maxDelayMs))
    process.kill(pid, 'SIGKILL')
    const exit = await writer.exited
    if (exit.signal !== 'SIGKILL') report.problems.push(`round ${round}: the writer ended by itself: ${JSON.stringify(exit)}\n${writer.lines.join('\n')}`)
    allAcks.push(...writer.acks)
    if (writer.acks.length > 0) report.killedMidWrite++
    report.problems.push(...await checkAfterCrash(dataDir, round, writer.acks, allAcks, options.maxVersions, () => restartStore(dataDir)))
  }
  report.acknowledged = allAcks.length
  return report
}

/** The same rounds against the built service: concurrent POSTs, then kill -9 of the service. */
export async function serviceCrashRounds (dataDir: string, random: Random, options: CrashOptions): Promise<CrashReport> {
  const report: CrashReport = { problems: [], acknowledged: 0, killedMidWrite: 0 }
  const allAcks: Ack[] = []
  for (let round = 0; round < options.rounds && report.problems.length === 0; round++) {
    const service = await startService(dataDir, { env: { RETENTION_MAX_VERSIONS: String(options.maxVersions), RETENTION_DAYS: '0', LOG_LEVEL: 'warn' } })
    const pid = await service.pid()
    const acks: Ack[] = []
    let seq = round * 1_000_000
    let stop = false
    const loop = async (): Promise<void> => {
      while (!stop) {
        try {
          const { ack } = await postSeq(service, seq++)
          if (ack !== null) acks.push(ack)
        } catch {
          return // the connection died with the service
        }
      }
    }
    const loops = Array.from({ length: options.concurrency }, loop)
    try {
      await sleep(random.int(options.minDelayMs, options.maxDelayMs))
    } finally {
      process.kill(pid, 'SIGKILL')
      stop = true
      await Promise.all(loops)
    }
    const exit = await service.exited
    if (exit.signal !== 'SIGKILL') report.problems.push(`round ${round}: the service ended by itself: ${JSON.stringify(exit)}`)
    allAcks.push(...acks)
    if (acks.length > 0) report.killedMidWrite++
    report.problems.push(...await checkAfterCrash(dataDir, round, acks, allAcks, options.maxVersions, () => restartStore(dataDir)))
  }
  report.acknowledged = allAcks.length
  return report
}
