// A long mixed load on the built service (SOAK_MINUTES, 10 by default): writers POST without pause
// while readers ask for the latest version, pages of versions, single versions, diffs, series and
// /health, and retention runs after every write. Every 10 s the service's memory, open descriptors
// and the p50/p99 latency of reads and writes are sampled. The run passes when no answer was 5xx,
// memory and descriptors stayed flat, the service closed cleanly and the folder holds what was
// acknowledged. Run by `npm run test:soak`, never by `npm test`; numbers land in test/artifacts/.
import t from 'tap'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ackProblems, consistencyProblems, readFolder, type Ack } from '../faults/lib/folder.js'
import { postSeq, request, USAGE } from '../faults/lib/http.js'
import { missingBuild, ROOT } from '../faults/lib/paths.js'
import { startService } from '../faults/lib/processes.js'

const minutes = Number(process.env.SOAK_MINUTES ?? 10)
const WINDOW_MS = 10_000
const KEEP = 500
const skip = missingBuild()

interface Window {
  atSeconds: number
  reads: number[]
  writes: number[]
  errors: number
}

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

t.test(`${minutes} minutes of mixed reads and writes`, { skip: skip ?? false, timeout: 0 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-soak-load-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const service = await startService(dataDir, { env: { RETENTION_MAX_VERSIONS: String(KEEP), RETENTION_DAYS: '0', LOG_LEVEL: 'warn' } })
  t.teardown(() => service.stop())
  const pid = await service.pid()

  const acks: Ack[] = []
  const statuses = new Map<number, number>()
  let current: Window = { atSeconds: 0, reads: [], writes: [], errors: 0 }
  const samples: Array<{ atSeconds: number, rssMiB: number, fds: number, requests: number, readP50: number, readP99: number, writeP50: number, writeP99: number, errors: number }> = []
  const started = Date.now()
  const end = started + minutes * 60_000
  const count = (status: number): void => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
    if (status >= 500) current.errors++
  }

  let seq = 0
  const writer = async (): Promise<void> => {
    while (Date.now() < end) {
      const before = performance.now()
      const { answer, ack } = await postSeq(service, seq++)
      current.writes.push(performance.now() - before)
      count(answer.status)
      if (ack !== null) acks.push(ack)
    }
  }
  const reader = async (index: number): Promise<void> => {
    for (let i = index; Date.now() < end; i++) {
      const ids = acks.slice(-KEEP / 2)
      const some = ids[i % Math.max(1, ids.length)]?.id
      const other = ids[(i * 7) % Math.max(1, ids.length)]?.id
      const paths = [USAGE, USAGE, USAGE, `${USAGE}/versions?limit=50`, '/health',
        some === undefined ? USAGE : `${USAGE}/versions/${some}`,
        `${USAGE}/series?field=currentSession.percentageUsed&points=100`,
        some === undefined || other === undefined ? USAGE : `${USAGE}/diff?from=${some}&to=${other}`]
      const before = performance.now()
      const answer = await request(service, paths[i % paths.length] as string)
      current.reads.push(performance.now() - before)
      count(answer.status)
    }
  }
  const sampler = async (): Promise<void> => {
    while (Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS))
      const window = current
      current = { atSeconds: Math.round((Date.now() - started) / 1000), reads: [], writes: [], errors: 0 }
      const rssMiB = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024
      const fds = (await readdir(`/proc/${pid}/fd`)).length
      samples.push({
        atSeconds: Math.round((Date.now() - started) / 1000),
        rssMiB: Math.round(rssMiB * 10) / 10,
        fds,
        requests: window.reads.length + window.writes.length,
        readP50: Math.round(percentile(window.reads, 50) * 10) / 10,
        readP99: Math.round(percentile(window.reads, 99) * 10) / 10,
        writeP50: Math.round(percentile(window.writes, 50) * 10) / 10,
        writeP99: Math.round(percentile(window.writes, 99) * 10) / 10,
        errors: window.errors
      })
    }
  }
  await Promise.all([writer(), writer(), ...Array.from({ length: 8 }, (_, index) => reader(index)), sampler()])

  const exit = await service.stop()
  t.equal(exit.code, 0, 'the service closed cleanly after the load')
  const state = await readFolder(dataDir)
  t.same(consistencyProblems(state), [], 'the folder agrees with itself')
  t.same(ackProblems(state, acks, KEEP), [], `the newest ${KEEP} acknowledged versions are on disk, intact`)
  t.same([...statuses.keys()].filter((status) => status >= 500), [], `no 5xx (answers by status: ${JSON.stringify(Object.fromEntries(statuses))})`)

  const table = ['  t(s)  req/10s  RSS MiB  fds  read p50/p99 ms  write p50/p99 ms',
    ...samples.map((s) => `${String(s.atSeconds).padStart(6)} ${String(s.requests).padStart(8)} ${s.rssMiB.toFixed(1).padStart(8)} ${String(s.fds).padStart(4)} ${`${s.readP50}/${s.readP99}`.padStart(15)} ${`${s.writeP50}/${s.writeP99}`.padStart(17)}`)]
  t.comment(`\n${table.join('\n')}`)
  t.comment(`${acks.length} writes acknowledged, ${[...statuses.values()].reduce((a, b) => a + b, 0)} answers in ${minutes} min`)
  const artifacts = join(ROOT, 'test/artifacts')
  await mkdir(artifacts, { recursive: true })
  await writeFile(join(artifacts, 'soak-load.json'), JSON.stringify({ minutes, acknowledged: acks.length, statuses: Object.fromEntries(statuses), samples }, null, 2))

  // Flat: the last fifth of the run uses no more than the second fifth, with room for the heap's
  // own breathing; descriptors do not pile up.
  const fifth = Math.max(1, Math.floor(samples.length / 5))
  const early = samples.slice(fifth, 2 * fifth)
  const late = samples.slice(-fifth)
  const peak = (list: typeof samples, key: 'rssMiB' | 'fds'): number => Math.max(...list.map((s) => s[key]))
  if (samples.length >= 5) {
    t.ok(peak(late, 'rssMiB') <= peak(early, 'rssMiB') * 1.25 + 20, `memory flat: peak ${peak(early, 'rssMiB')} MiB early, ${peak(late, 'rssMiB')} MiB late`)
    t.ok(peak(late, 'fds') <= peak(early, 'fds') + 20, `descriptors flat: ${peak(early, 'fds')} early, ${peak(late, 'fds')} late`)
  }
})
