// The commands on a PostgreSQL database (contract section 7, `--database-url`): a folder exported,
// imported into a database and exported again gives identical NDJSON (the migration path); verify,
// retention and export work on the database; DATABASE_URL is the default unless --data-dir is given.
import t from 'tap'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { startPostgres } from '../lib/postgres.js'
import { childEnv, CLI, freePort, runCli, send, startProcess, waitForHealth, WRITE_KEY } from '../ops/lib.js'
import { ndjson, seed, versionLines } from './lib.js'

const server = await startPostgres(t)
const inSchema = (schema: string): Record<string, string> => ({ DATABASE_SCHEMA: schema })

t.test('a folder exported, imported into a database and exported again gives identical NDJSON', async (t) => {
  const dataDir = await tempDir(t)
  await seed(t, dataDir, versionLines(20))
  // A version as the earlier server wrote it: indented, its keys in an order of its own, a unicode text.
  const history = join(dataDir, 'console-usage-history')
  await mkdir(history, { recursive: true })
  await writeFile(join(history, '2025-12-31T23-59-59-ca7d685a.json'), JSON.stringify({
    lastUpdated: '2025-12-31T23:59:00Z',
    weeklyLimits: { sonnetOnly: { percentageUsed: 10, resetsIn: 'Sat 12:00 PM' }, allModels: { resetsIn: 'Thu 7:00 AM ☕', percentageUsed: 31.25 } },
    currentSession: { percentageUsed: 0, resetsIn: '5 hr' }
  }, null, 2))

  const fromFolder = await runCli(['export', '--data-dir', dataDir])
  t.equal(fromFolder.code, 0, fromFolder.stderr)
  t.equal(fromFolder.stdout.split('\n').filter(Boolean).length, 21)
  const env = inSchema('roundtrip')
  const imported = await runCli(['import', '-', '--database-url', server.url], { env, input: fromFolder.stdout })
  t.equal(imported.code, 0, imported.stderr)
  t.same(JSON.parse(imported.stdout), { imported: 21, skipped: 0 })
  const fromDatabase = await runCli(['export', '--database-url', server.url], { env })
  t.equal(fromDatabase.code, 0, fromDatabase.stderr)
  t.equal(fromDatabase.stdout, fromFolder.stdout, 'byte for byte the same export')

  // Straight from the folder too (import SOURCE as a folder), into another schema: the same again.
  const direct = await runCli(['import', dataDir, '--database-url', server.url], { env: inSchema('direct') })
  t.equal(direct.code, 0, direct.stderr)
  t.equal((await runCli(['export', '--database-url', server.url], { env: inSchema('direct') })).stdout, fromFolder.stdout)
  const again = await runCli(['import', dataDir, '--database-url', server.url], { env: inSchema('direct') })
  t.same(JSON.parse(again.stdout), { imported: 0, skipped: 21 }, 'importing the same again changes nothing')
})

t.test('verify, retention and export on a database; DATABASE_URL is the default, --data-dir wins over it', async (t) => {
  // As an operator's .env has it: with DATABASE_URL the write key is required, by the commands too.
  const env = { DATABASE_URL: server.url, CLAUDE_SYNC_API_KEY: WRITE_KEY, ...inSchema('commands'), RETENTION_MAX_VERSIONS: '4', RETENTION_DAYS: '0' }
  const lines = versionLines(10)
  t.equal((await runCli(['import', '-'], { env, input: ndjson(lines) })).code, 0, 'import into DATABASE_URL')

  const verified = await runCli(['verify'], { env })
  t.equal(verified.code, 0, verified.stdout + verified.stderr)
  t.match(verified.stdout, /ok, 10 versions in postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres \(schema commands\)/, 'the password never shows')

  const dryRun = await runCli(['retention', '--dry-run'], { env })
  t.equal(dryRun.code, 0, dryRun.stderr)
  t.match(JSON.parse(dryRun.stdout), { deletedCount: 6, keptCount: 4, deleted: lines.slice(0, 6).map((line) => line.id) })
  const applied = await runCli(['retention'], { env })
  t.equal(applied.code, 0, applied.stderr)
  t.match(JSON.parse(applied.stdout), { deleted: 6, kept: 4 })
  const left = await runCli(['export'], { env })
  t.same(left.stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { id: string }).id), lines.slice(6).map((line) => line.id))
  t.equal((await runCli(['verify'], { env })).code, 0, 'the statistics agree after the clean-up')

  // --data-dir names a folder, whatever DATABASE_URL says.
  const dataDir = await tempDir(t)
  const folder = await runCli(['export', '--data-dir', dataDir], { env })
  t.same({ code: folder.code, stdout: folder.stdout }, { code: 0, stdout: '' }, 'an empty folder, not the database')
  const both = await runCli(['export', '--data-dir', dataDir, '--database-url', server.url], { env })
  t.equal(both.code, 2, 'both options at once is a usage error')
  t.match(both.stderr, /--data-dir and --database-url/)
  const malformed = await runCli(['verify', '--database-url', 'mysql://nope'])
  t.equal(malformed.code, 2, 'a URL that is not postgres:// is a usage error')
})

t.test('serve --database-url serves the database; serve --data-dir a folder, whatever DATABASE_URL says', async (t) => {
  const env = { ...inSchema('served'), CLAUDE_SYNC_API_KEY: WRITE_KEY, HOST: '127.0.0.1' }
  t.equal((await runCli(['import', '-', '--database-url', server.url], { env, input: ndjson(versionLines(3)) })).code, 0)
  const onDatabase = await freePort()
  const served = startProcess(t, [CLI, 'serve', '--database-url', server.url], childEnv({ ...env, PORT: String(onDatabase) }))
  await waitForHealth(onDatabase)
  const metadata = await send(onDatabase, 'GET', '/api/claude/console-usage/metadata', { requestId: 'metadata' })
  t.match(metadata.kind === 'answered' ? JSON.parse(metadata.body) : metadata, { versionCount: 3, newestId: versionLines(3)[2]?.id }, 'the history of the database')

  const dataDir = await tempDir(t)
  const onFolder = await freePort()
  const folder = startProcess(t, [CLI, 'serve', '--data-dir', dataDir], childEnv({ ...env, DATABASE_URL: server.url, PORT: String(onFolder) }))
  await waitForHealth(onFolder)
  t.ok(existsSync(join(dataDir, '.lock')), 'the folder given, locked')
  for (const service of [served, folder]) service.child.kill('SIGTERM')
  t.same((await Promise.all([served.exited, folder.exited])).map((exit) => exit.code), [0, 0], 'both close with status 0')
})
