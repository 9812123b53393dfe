// `usage-vault verify`: status 0 when every version parses and the statistics and the latest file
// agree with the versions; status 1 and one line per problem otherwise. It only reads, so it works
// on the earlier server's folder as it is and beside a running service.
import t from 'tap'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { EARLIER_SERVER_DIR as EARLIER } from '../fixtures/earlier-server.js'
import { runCli, startService } from '../ops/lib.js'
import { seed, versionFiles, versionLines } from './lib.js'


t.test('a sound folder verifies, and verify changes nothing', async (t) => {
  const dataDir = await tempDir(t)
  await seed(t, dataDir, versionLines(25))
  const metadata = await readFile(join(dataDir, 'console-usage-history', '_metadata.json'), 'utf8')
  const result = await runCli(['verify', '--data-dir', dataDir])
  t.equal(result.code, 0, result.stdout + result.stderr)
  t.match(result.stdout, /ok, 25 versions/)
  t.equal(await readFile(join(dataDir, 'console-usage-history', '_metadata.json'), 'utf8'), metadata)
})

t.test('the earlier server\'s folder verifies as it is', async (t) => {
  const dataDir = await tempDir(t)
  await cp(EARLIER, dataDir, { recursive: true })
  const result = await runCli(['verify', '--data-dir', dataDir])
  t.equal(result.code, 0, result.stdout + result.stderr)
  t.match(result.stdout, /ok, 1 versions/)
})

t.test('a damaged version, wrong statistics and a stale latest file are each listed, status 1', async (t) => {
  const dataDir = await tempDir(t)
  await seed(t, dataDir, versionLines(5))
  // A middle one, so the oldest and newest receipt times stay what the statistics say.
  const middle = (await versionFiles(dataDir))[2]
  const historyDir = join(dataDir, 'console-usage-history')
  await writeFile(join(historyDir, middle ?? ''), '{"currentSession": {"percen')
  const metadataFile = join(historyDir, '_metadata.json')
  const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as Record<string, unknown>
  await writeFile(metadataFile, JSON.stringify({ ...metadata, versionCount: 9 }))
  await writeFile(join(dataDir, 'console-usage-synced.json'), '{"lastUpdated":"2020-01-01T00:00:00Z"}')

  const result = await runCli(['verify', '--data-dir', dataDir])
  t.equal(result.code, 1)
  t.match(result.stdout, new RegExp(`${middle ?? ''}: not valid JSON`), 'names the damaged version')
  t.match(result.stdout, /_metadata\.json: versionCount is 9, the folder holds 4/, 'names the wrong count')
  t.match(result.stdout, /console-usage-synced\.json: does not hold the newest version/, 'names the stale latest file')
  t.match(result.stdout, /3 problem\(s\)/)
  t.equal((await versionFiles(dataDir)).length, 5, 'the damaged file is left where it is')
})

t.test('verify runs beside a service that holds the folder', async (t) => {
  const dataDir = await tempDir(t)
  await seed(t, dataDir, versionLines(3))
  await startService(t, { DATA_DIR: dataDir })
  const result = await runCli(['verify', '--data-dir', dataDir])
  t.equal(result.code, 0, result.stdout + result.stderr)
})

t.test('the folder comes from DATA_DIR, also from .env, when --data-dir is not given', async (t) => {
  const dataDir = await tempDir(t)
  await seed(t, dataDir, versionLines(2))
  const fromEnv = await runCli(['verify'], { env: { DATA_DIR: dataDir } })
  t.match(fromEnv.stdout, new RegExp(`ok, 2 versions in ${dataDir}`))
  const cwd = await tempDir(t)
  await writeFile(join(cwd, '.env'), `DATA_DIR=${dataDir}\n`)
  const fromDotenv = await runCli(['verify'], { cwd })
  t.match(fromDotenv.stdout, new RegExp(`ok, 2 versions in ${dataDir}`))
})
