// The long variant of the fault suite's crash rounds (test/faults/crash-random.test.ts): hundreds
// of kill -9 at random moments, against the engine and against the built service, on one folder
// each. Run by `npm run test:soak`, never by `npm test`. SOAK_ROUNDS sets the engine rounds (the
// service gets a third as many); FAULT_SEED replays a run.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { engineCrashRounds, serviceCrashRounds } from '../faults/lib/crash.js'
import { missingBuild } from '../faults/lib/paths.js'
import { seededRandom } from '../faults/lib/random.js'

const rounds = Number(process.env.SOAK_ROUNDS ?? 300)
const skip = missingBuild()

t.test(`engine: ${rounds} kill -9 rounds during concurrent saves and clean-ups`, { skip: skip ?? false, timeout: 0 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-soak-crash-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const random = seededRandom()
  t.comment(`FAULT_SEED=${random.seed}`)
  const started = Date.now()
  const report = await engineCrashRounds(dataDir, random, { rounds, maxVersions: 25, concurrency: 16, minDelayMs: 0, maxDelayMs: 400 })
  t.same(report.problems, [], 'every round: nothing acknowledged lost, nothing torn, statistics equal to the folder, no leftovers')
  t.comment(`${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s; ${report.acknowledged} saves acknowledged; ${report.killedMidWrite} kills came with saves in flight`)
})

t.test(`service: ${Math.ceil(rounds / 3)} kill -9 rounds during concurrent POSTs`, { skip: skip ?? false, timeout: 0 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-soak-crash-http-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const random = seededRandom()
  t.comment(`FAULT_SEED=${random.seed}`)
  const started = Date.now()
  const report = await serviceCrashRounds(dataDir, random, { rounds: Math.ceil(rounds / 3), maxVersions: 25, concurrency: 16, minDelayMs: 200, maxDelayMs: 1500 })
  t.same(report.problems, [], 'every round: nothing answered 200 lost, nothing torn, statistics equal to the folder, no leftovers')
  t.comment(`${Math.ceil(rounds / 3)} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s; ${report.acknowledged} POSTs answered 200; ${report.killedMidWrite} kills came with POSTs in flight`)
})
