// `usage-vault export` and `import`: a backup round-trips ids, receipt times and payloads, from an
// NDJSON file, stdin or another data folder; importing the same again changes nothing; a bad line
// imports nothing; a service holding the target folder makes import refuse, naming the lock.
import t from 'tap'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { EARLIER_ID, EARLIER_RECEIVED_AT, EARLIER_SERVER_DIR as EARLIER } from '../fixtures/earlier-server.js'
import { runCli, startService } from '../ops/lib.js'
import { ndjson, seed, versionFiles, versionLines, type Line } from './lib.js'


const parseExport = (stdout: string): Line[] => stdout.trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Line)

t.test('export writes every version oldest first as { id, receivedAt (ISO), payload }', async (t) => {
  const dataDir = await tempDir(t)
  // Imported out of order: the export is still oldest first.
  const lines = versionLines(12)
  await seed(t, dataDir, [...lines.slice(6), ...lines.slice(0, 6)])
  const result = await runCli(['export', '--data-dir', dataDir])
  t.equal(result.code, 0, result.stderr)
  t.same(parseExport(result.stdout), lines)
})

t.test('import from a file, from stdin and from a folder keeps ids and times; again, it changes nothing', async (t) => {
  const source = await tempDir(t)
  const lines = versionLines(30)
  await seed(t, source, lines)
  const exported = (await runCli(['export', '--data-dir', source])).stdout
  const exportFile = join(await tempDir(t), 'backup.ndjson')
  await writeFile(exportFile, exported)

  const sources = [
    ['file', [exportFile], undefined],
    ['stdin', ['-'], exported],
    ['folder', [source], undefined]
  ] as const
  // Each into a folder of its own, at the same time: they share only the (read) source.
  await Promise.all(sources.map(async ([how, args, input]) => {
    const target = await tempDir(t)
    const first = await runCli(['import', ...args, '--data-dir', target], input === undefined ? {} : { input })
    t.equal(first.code, 0, `${how}: ${first.stderr}`)
    t.same(JSON.parse(first.stdout), { imported: 30, skipped: 0 }, `${how}: all imported`)
    t.equal((await runCli(['export', '--data-dir', target])).stdout, exported, `${how}: the same export from the copy`)
    const again = await runCli(['import', ...args, '--data-dir', target], input === undefined ? {} : { input })
    t.same(JSON.parse(again.stdout), { imported: 0, skipped: 30 }, `${how}: a second import skips every version`)
    t.equal((await runCli(['verify', '--data-dir', target])).code, 0, `${how}: the copy verifies`)
  }))
})

t.test('the earlier server\'s folder imports as it is, its id and time kept', async (t) => {
  const earlier = await tempDir(t)
  await cp(EARLIER, earlier, { recursive: true })
  const target = await tempDir(t)
  const result = await runCli(['import', earlier, '--data-dir', target])
  t.equal(result.code, 0, result.stderr)
  const [line] = parseExport((await runCli(['export', '--data-dir', target])).stdout)
  t.match(line, { id: EARLIER_ID, receivedAt: EARLIER_RECEIVED_AT })
  t.same(line?.payload, JSON.parse(await readFile(join(EARLIER, 'console-usage-history', `${EARLIER_ID}.json`), 'utf8')))
})

t.test('a bad line imports nothing and names the line', async (t) => {
  const target = await tempDir(t)
  const lines: unknown[] = versionLines(3)
  lines.splice(2, 0, { id: 'not-an-id', receivedAt: '2026-01-01T00:00:00Z', payload: {} })
  const result = await runCli(['import', '-', '--data-dir', target], { input: ndjson(lines) })
  t.equal(result.code, 1)
  t.match(result.stderr, /line 3: id "not-an-id" is not a version id/)
  t.same(await versionFiles(target), [])

  const notJson = await runCli(['import', '-', '--data-dir', target], { input: '{"id":\n' })
  t.equal(notJson.code, 1)
  t.match(notJson.stderr, /line 1: not valid JSON/)
  const missing = await runCli(['import', join(target, 'no-such.ndjson'), '--data-dir', target])
  t.equal(missing.code, 2, 'a source that does not exist is a usage error')
  t.match(missing.stderr, /cannot read .*no-such\.ndjson: ENOENT/)
})

t.test('import refuses while a service holds the folder, naming the holder; export still works', async (t) => {
  const dataDir = await tempDir(t)
  await seed(t, dataDir, versionLines(2))
  const service = await startService(t, { DATA_DIR: dataDir })
  const refused = await runCli(['import', '-', '--data-dir', dataDir], { input: ndjson(versionLines(5, Date.UTC(2026, 1, 1))) })
  t.equal(refused.code, 1)
  t.match(refused.stderr, new RegExp(`refused: the data folder is locked by process ${service.child.pid ?? 0} `))
  t.equal((await versionFiles(dataDir)).length, 2, 'nothing imported')
  const exported = await runCli(['export', '--data-dir', dataDir])
  t.equal(exported.code, 0)
  t.equal(parseExport(exported.stdout).length, 2)
})
