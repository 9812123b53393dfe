// Guarantee 6 of the fault suite: a folder that stops taking writes under a running service, by a
// read-only remount and by lost permissions. Root ignores permissions through its capabilities
// CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so that service runs without them (setpriv): file modes
// then bind it as they bind any owner, while it can still read the checkout wherever it lies (a
// private 0700 folder included, which another user such as `nobody` could not). Writes answer 503,
// reads are served, /health answers 503 "unhealthy", and once the folder takes writes again so does
// the service, without a restart.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { consistencyProblems, settledFolder, type Ack } from './lib/folder.js'
import { errorCode, postSeq, request, USAGE } from './lib/http.js'
import { mountMissing, readOnlyOverlay } from './lib/mounts.js'
import { missingBuild } from './lib/paths.js'
import { startService, type Service } from './lib/processes.js'

const skip = missingBuild()
const isRoot = process.getuid?.() === 0

async function checkRefusesWrites (t: Test, service: Service, acks: Ack[], seq: number, dataDir: string): Promise<void> {
  const posted = await postSeq(service, seq)
  t.equal(posted.answer.status, 503, 'a write answers 503')
  t.equal(errorCode(posted.answer), 'STORAGE_UNAVAILABLE', 'error code STORAGE_UNAVAILABLE')
  const read = await request(service, USAGE)
  t.equal(read.status, 200, 'reads are served')
  t.equal((read.body?.versionInfo as { id?: string } | undefined)?.id, acks[acks.length - 1]?.id, 'the latest is the last acknowledged version')
  const versions = await request(service, `${USAGE}/versions`)
  t.equal(versions.body?.total, acks.length, 'the refused write is not listed')
  const health = await request(service, '/health')
  t.equal(health.status, 503, '/health answers 503')
  t.equal(health.body?.status, 'unhealthy', 'status unhealthy')
  t.equal((health.body?.storage as { writable?: boolean } | undefined)?.writable, false, 'storage.writable is false')
  t.equal((await settledFolder(dataDir)).ids.length, acks.length, 'no version file was added')
}

async function checkRecovered (t: Test, service: Service, acks: Ack[], seq: number, dataDir: string, pid: number): Promise<void> {
  const posted = await postSeq(service, seq)
  t.equal(posted.answer.status, 200, 'writes work again')
  if (posted.ack !== null) acks.push(posted.ack)
  t.equal(await service.pid(), pid, 'without a restart')
  const health = await request(service, '/health')
  t.equal(health.status, 200, '/health answers 200 again')
  t.same(consistencyProblems(await settledFolder(dataDir)), [], 'the folder agrees with itself')
}

t.test('a read-only remount of the data folder', { skip: skip ?? mountMissing() ?? false }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-ro-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const service = await startService(dataDir, { env: { LOG_LEVEL: 'warn' } })
  t.teardown(() => service.stop())
  const pid = await service.pid()
  const acks: Ack[] = []
  const first = await postSeq(service, 0)
  if (first.ack !== null) acks.push(first.ack)
  t.equal(first.answer.status, 200, 'a write while the folder is writable')
  // Health checks from several checkers at once must not trip over one another.
  const checks = await Promise.all(Array.from({ length: 20 }, async () => await request(service, '/health')))
  t.same(checks.map((check) => check.status), checks.map(() => 200), '20 concurrent /health on a writable folder: all 200')

  const overlay = readOnlyOverlay(dataDir)
  t.teardown(() => overlay.readWrite())
  await checkRefusesWrites(t, service, acks, 1, dataDir)
  overlay.readWrite()
  await checkRecovered(t, service, acks, 2, dataDir, pid)
})

t.test('a service without root\'s file capabilities that loses its permission on the folder', { skip: skip ?? (isRoot ? false : 'needs root to drop its file capabilities (as another user, file modes bind already)') }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-perm-'))
  t.teardown(async () => {
    await chmod(dataDir, 0o700).catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
  })
  const service = await startService(dataDir, {
    prefix: ['setpriv', '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-dac_override,-dac_read_search', '--'],
    env: { LOG_LEVEL: 'info' }
  })
  t.teardown(() => service.stop())
  const pid = await service.pid()
  const capabilities = execFileSync('grep', ['^CapEff:', `/proc/${pid}/status`], { encoding: 'utf8' })
  const effective = BigInt(`0x${capabilities.split(/\s+/)[1] ?? '0'}`)
  // CAP_DAC_OVERRIDE is bit 1, CAP_DAC_READ_SEARCH bit 2: without them a 0555 folder refuses writes even to root.
  t.equal(effective & 0b110n, 0n, 'the service runs without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH')
  const acks: Ack[] = []
  const first = await postSeq(service, 0)
  if (first.ack !== null) acks.push(first.ack)
  t.equal(first.answer.status, 200, 'a write while the folder is writable')

  const historyDir = join(dataDir, 'console-usage-history')
  await chmod(historyDir, 0o555)
  await chmod(dataDir, 0o555)
  await checkRefusesWrites(t, service, acks, 1, dataDir)
  await chmod(historyDir, 0o700)
  await chmod(dataDir, 0o700)
  await checkRecovered(t, service, acks, 2, dataDir, pid)
})
