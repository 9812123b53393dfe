// Guarantee 2 of the fault suite: rounds of concurrent saves killed with SIGKILL at a random
// moment, on one folder. Nothing acknowledged is lost, no file is damaged, the statistics equal the
// folder after the restart, and the leftovers are gone. (`npm run test:soak` runs hundreds of rounds.)
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { engineCrashRounds, serviceCrashRounds } from './lib/crash.js'
import { missingBuild } from './lib/paths.js'
import { seededRandom } from './lib/random.js'

const skip = missingBuild()

t.test('engine: kill -9 during concurrent saves and clean-ups loses nothing acknowledged', { skip: skip ?? false }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-crash-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const random = seededRandom()
  t.comment(`FAULT_SEED=${random.seed}`)
  const report = await engineCrashRounds(dataDir, random, { rounds: 8, maxVersions: 10, concurrency: 8, minDelayMs: 30, maxDelayMs: 300 })
  t.same(report.problems, [], 'every round: nothing acknowledged lost, nothing torn, statistics equal to the folder, no leftovers')
  t.ok(report.killedMidWrite >= 4, `most kills came while saves were in flight (${report.killedMidWrite} of 8)`)
  t.comment(`${report.acknowledged} saves acknowledged over 8 kills`)
})

t.test('service: kill -9 during concurrent POSTs loses nothing that was answered 200', { skip: skip ?? false }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-crash-http-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const random = seededRandom()
  t.comment(`FAULT_SEED=${random.seed}`)
  const report = await serviceCrashRounds(dataDir, random, { rounds: 5, maxVersions: 10, concurrency: 8, minDelayMs: 80, maxDelayMs: 400 })
  t.same(report.problems, [], 'every round: nothing answered 200 lost, nothing torn, statistics equal to the folder, no leftovers')
  t.ok(report.killedMidWrite >= 3, `most kills came while POSTs were in flight (${report.killedMidWrite} of 5)`)
  t.comment(`${report.acknowledged} POSTs answered 200 over 5 kills`)
})
