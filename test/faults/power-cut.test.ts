// Guarantee 1 against a power cut, not only a process kill: an engine writer saves (32 at a
// time, with a clean-up after each) on an ext4 image whose power is cut (lib/power-cut.ts) at a
// different moment each round: during the start, after the first save, in the middle of a burst,
// during clean-ups. The image is then mounted again and the service started on it. As the cut left
// it, no file under a version's name, no statistics and no latest file may be torn, and every
// acknowledged version must be there (acknowledged means its file and its name were flushed);
// once the service listens, the statistics and the latest file agree with the version files and
// count every acknowledged version. One folder lives through every round, so each start also
// repairs what the cuts before it left.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import { checkAfterCrash } from './lib/crash.js'
import type { Ack } from './lib/folder.js'
import { missingBuild } from './lib/paths.js'
import { createDisk, powerCutMissing } from './lib/power-cut.js'
import { startService, startWriter, type Service } from './lib/processes.js'
import { seededRandom } from './lib/random.js'

const skip = missingBuild() ?? await powerCutMissing()
const MAX_VERSIONS = 25

/** When each round cuts: after this many acknowledgements (null: this long after the spawn, in ms). */
const MOMENTS: Array<{ acks: number } | { afterSpawnMs: number }> = [
  { afterSpawnMs: 150 },
  { acks: 1 },
  { acks: 12 },
  { acks: 40 },
  { afterSpawnMs: 400 },
  { acks: 3 },
  { acks: 70 }
]

t.test('a power cut at any moment loses nothing acknowledged, tears nothing, and the start repairs the rest', { skip: skip ?? false }, async (t) => {
  const random = seededRandom()
  t.comment(`FAULT_SEED=${random.seed}`)
  const disk = await createDisk('32m')
  t.teardown(() => disk.remove())
  const dataDir = join(disk.path, 'data')
  const allAcks: Ack[] = []
  const problems: string[] = []
  let cutMidWrite = 0
  let rounds = 0

  for (const [round, moment] of MOMENTS.entries()) {
    rounds++
    disk.mount()
    const writer = startWriter(dataDir, {
      seqStart: round * 1_000_000,
      concurrency: 32,
      cleanupAfterSave: true,
      maxVersions: MAX_VERSIONS,
      days: 0,
      env: { LOG_LEVEL: 'silent' }
    })
    if ('acks' in moment) {
      await writer.pid()
      const deadline = Date.now() + 30_000
      while (writer.acks.length < moment.acks && writer.child.exitCode === null && Date.now() < deadline) await sleep(1)
      // A little past the acknowledgement, so the cut lands anywhere in the writes that follow it.
      await sleep(random.int(0, 8))
    } else {
      await sleep(moment.afterSpawnMs + random.int(0, 50))
    }
    if (writer.child.exitCode !== null) problems.push(`round ${round}: the writer ended before the cut:\n${writer.lines.join('\n')}`)
    disk.cut()
    const inFlight = writer.acks.length
    // After the cut the writer fails on its own sooner or later (EIO); what it does then is no matter.
    writer.child.kill('SIGKILL')
    await writer.exited
    // An ACK printed after the cut was flushed before it: the fsync that preceded it had returned.
    allAcks.push(...writer.acks)
    if (inFlight > 0) cutMidWrite++
    disk.unmount()

    disk.mount()
    let service: Service | null = null
    try {
      problems.push(...await checkAfterCrash(dataDir, round, writer.acks, allAcks, MAX_VERSIONS, async () => {
        // The folder is read while the service listens.
        service = await startService(dataDir, { env: { RETENTION_MAX_VERSIONS: String(MAX_VERSIONS), RETENTION_DAYS: '0', LOG_LEVEL: 'warn' } })
      }))
    } finally {
      const started = service as Service | null
      if (started !== null) {
        const stopped = await started.stop()
        if (stopped.code !== 0) problems.push(`round ${round}: the service exited with ${JSON.stringify(stopped)}`)
      }
      disk.unmount()
    }
    if (problems.length > 0) break
  }
  t.same(problems, [], 'every round: nothing acknowledged lost, nothing torn, statistics and latest file repaired, no leftovers')
  t.ok(cutMidWrite >= rounds - 2, `most cuts came while saves were being acknowledged (${cutMidWrite} of ${rounds})`)
  t.ok(allAcks.length > 0, `${allAcks.length} saves acknowledged over ${rounds} power cuts`)
})
