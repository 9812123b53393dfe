// Guarantee 4 of the fault suite: a full disk. The data folder lives on a 1 MiB tmpfs; once it is
// full a POST answers 507 STORAGE_FULL, no partial file is left, reads go on being served, and
// writes work again as soon as space is freed, without a restart; the statistics and the latest
// file, which follow the answers, catch up then.
import t from 'tap'
import { readdir, rm, statfs, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ackProblems, consistencyProblems, crashProblems, settledFolder, type Ack } from './lib/folder.js'
import { errorCode, request, postSeq, USAGE } from './lib/http.js'
import { mountMissing, mountTmpfs } from './lib/mounts.js'
import { missingBuild } from './lib/paths.js'
import { startService } from './lib/processes.js'

const skip = missingBuild() ?? mountMissing()

t.test('a full disk answers 507, stores nothing partial, keeps serving reads and recovers without a restart', { skip: skip ?? false }, async (t) => {
  const mount = await mountTmpfs('1m')
  t.teardown(() => mount.unmount())
  const dataDir = join(mount.path, 'data')
  const service = await startService(dataDir, { env: { RETENTION_MAX_VERSIONS: '100000' } })
  t.teardown(() => service.stop())
  const pid = await service.pid()

  const acks: Ack[] = []
  let seq = 0
  const first = await postSeq(service, seq++)
  t.equal(first.answer.status, 200, 'a write before the disk fills')
  if (first.ack !== null) acks.push(first.ack)

  // Leave a few pages, then write until the disk is full; fill in steps, so that the space runs out
  // at different points of a save (version file, statistics, latest file) across the rounds.
  const filler = join(mount.path, 'filler')
  let fulls = 0
  for (const leave of [24, 12, 4]) {
    await rm(filler, { force: true })
    const stats = await statfs(mount.path)
    const free = stats.bavail * stats.bsize
    await writeFile(filler, Buffer.alloc(Math.max(0, free - leave * 4096)))
    let answer
    for (let attempt = 0; attempt < 200; attempt++) {
      const posted = await postSeq(service, seq++)
      answer = posted.answer
      if (posted.ack !== null) acks.push(posted.ack)
      if (answer.status !== 200) break
    }
    t.equal(answer?.status, 507, `full with ${leave} pages left: 507`)
    t.equal(answer !== undefined && errorCode(answer), 'STORAGE_FULL', 'error code STORAGE_FULL')
    if (answer?.status === 507) fulls++

    const state = await settledFolder(dataDir)
    // The statistics and the latest file follow the answers once there is room for them again
    // (checked below); while the disk is full only the version files are sure to be written.
    t.same(crashProblems(state), [], 'no partial file, nothing torn')
    t.same(state.leftovers, [], 'no leftover of a write that failed')
    t.same(ackProblems(state, acks), [], 'every version answered 200 is on disk, intact')
    const read = await request(service, USAGE)
    t.equal(read.status, 200, 'reads are served while the disk is full')
    t.equal(read.body?.versionInfo !== undefined && (read.body.versionInfo as { id: string }).id, acks[acks.length - 1]?.id, 'the latest read is the last version answered 200')
    const listed = await request(service, `${USAGE}/versions?limit=1000`)
    t.equal(listed.body?.total, acks.length, 'the refused write is not listed')
  }
  t.equal(fulls, 3, 'each round ended in 507')

  await rm(filler, { force: true })
  const after = await postSeq(service, seq++)
  t.equal(after.answer.status, 200, 'writes work again once space is freed')
  t.equal(await service.pid(), pid, 'without a restart')
  if (after.ack !== null) acks.push(after.ack)
  const state = await settledFolder(dataDir)
  t.same(consistencyProblems(state), [], 'the folder agrees with itself afterwards: statistics and latest file caught up')
  t.same(ackProblems(state, acks), [], 'and holds every version answered 200')
  t.same((await readdir(join(dataDir, 'console-usage-history'))).filter((name) => name.startsWith('.tmp-')), [], 'no temporary file left')
})
