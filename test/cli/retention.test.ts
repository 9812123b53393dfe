// `usage-vault retention`: the dry run lists what the policy of the configuration would delete and
// why each kept version stays, changing nothing (also beside a service); without --dry-run it
// deletes, and refuses, naming the holder of the lock, while a service holds the folder.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { runCli, startService } from '../ops/lib.js'
import { seed, versionFiles, versionLines } from './lib.js'

// Versions from 2026-01-01, long out of any day window: only the newest N stay.
const POLICY = { RETENTION_MAX_VERSIONS: '3', RETENTION_DAYS: '1' }

interface DryRun {
  policy: { maxVersions: number, days: number }
  evaluatedAt: string
  keptCount: number
  deletedCount: number
  deleted: string[]
  kept: Array<{ id: string, reasons: string[] }>
}

t.test('--dry-run lists the deletions and the reasons to keep, and changes nothing', async (t) => {
  const dataDir = await tempDir(t)
  const lines = versionLines(10)
  await seed(t, dataDir, lines)
  const before = await versionFiles(dataDir)
  const result = await runCli(['retention', '--dry-run', '--data-dir', dataDir], { env: POLICY })
  t.equal(result.code, 0, result.stderr)
  const plan = JSON.parse(result.stdout) as DryRun
  t.same(plan.policy, { maxVersions: 3, days: 1 })
  t.equal(plan.deletedCount, 7)
  t.equal(plan.keptCount, 3)
  t.ok(Math.abs(Date.parse(plan.evaluatedAt) - Date.now()) < 60_000, 'evaluatedAt is now')
  t.same(plan.deleted, lines.slice(0, 7).map((line) => line.id), 'the oldest seven, oldest first')
  t.same(plan.kept, [
    { id: lines[7]?.id, reasons: ['last-N'] },
    { id: lines[8]?.id, reasons: ['last-N'] },
    { id: lines[9]?.id, reasons: ['newest', 'last-N'] }
  ])
  t.same(await versionFiles(dataDir), before, 'no file removed')
})

t.test('without --dry-run the clean-up runs and the statistics count it', async (t) => {
  const dataDir = await tempDir(t)
  const lines = versionLines(10)
  await seed(t, dataDir, lines)
  const result = await runCli(['retention', '--data-dir', dataDir], { env: POLICY })
  t.equal(result.code, 0, result.stderr)
  t.match(JSON.parse(result.stdout), { deleted: 7, kept: 3 })
  t.same(await versionFiles(dataDir), lines.slice(7).map((line) => `${line.id}.json`))
  const metadata = JSON.parse(await readFile(join(dataDir, 'console-usage-history', '_metadata.json'), 'utf8')) as Record<string, unknown>
  t.match(metadata, { versionCount: 3, totalVersionsDeleted: 7, totalVersionsCreated: 10 })
  t.equal((await runCli(['verify', '--data-dir', dataDir])).code, 0, 'the folder verifies afterwards')
})

t.test('while a service holds the folder: the dry run works, the clean-up is refused naming the lock', async (t) => {
  const dataDir = await tempDir(t)
  await seed(t, dataDir, versionLines(10))
  const service = await startService(t, { DATA_DIR: dataDir })
  const dryRun = await runCli(['retention', '--dry-run', '--data-dir', dataDir], { env: POLICY })
  t.equal(dryRun.code, 0, dryRun.stderr)
  const refused = await runCli(['retention', '--data-dir', dataDir], { env: POLICY })
  t.equal(refused.code, 1)
  t.match(refused.stderr, new RegExp(`refused: the data folder is locked by process ${service.child.pid ?? 0} on .*\\.lock`))
  t.equal((await versionFiles(dataDir)).length, 10, 'nothing deleted')
})
