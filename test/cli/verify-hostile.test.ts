// `verify` and `export` on a folder someone else prepared: a version file that is a symbolic link
// is reported, never read; a file nested beyond reason is reported as damaged, never fatal.
import t from 'tap'
import { symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { runCli } from '../ops/lib.js'
import { seed, versionLines } from './lib.js'

t.test('verify reports a linked version file and a file nested beyond reason; export still runs', async (t) => {
  const dataDir = await tempDir(t)
  await seed(t, dataDir, versionLines(2, Date.UTC(2026, 0, 2)))
  const outside = join(await tempDir(t), 'target.json')
  await writeFile(outside, JSON.stringify({ lastUpdated: '2026-01-01T00:00:00Z', currentSession: { resetsIn: '1 hr', percentageUsed: 1 } }))
  await symlink(outside, join(dataDir, 'console-usage-history', '2026-01-01T00-00-00-00000001.json'))
  await writeFile(join(dataDir, 'console-usage-history', '2026-01-01T00-00-01-00000002.json'),
    `{"lastUpdated":"2026-01-01T00:00:00Z","x":${'['.repeat(3600)}1${']'.repeat(3600)}}`)
  const [verify, exported] = await Promise.all([runCli(['verify', '--data-dir', dataDir]), runCli(['export', '--data-dir', dataDir])])
  t.equal(verify.code, 1, 'verify finds problems')
  t.match(verify.stdout, /2026-01-01T00-00-00-00000001\.json: symbolic link/, `the link is reported: ${verify.stdout}${verify.stderr}`)
  t.match(verify.stdout, /2026-01-01T00-00-01-00000002\.json: nested/, 'the deep file is reported')
  t.equal(exported.code, 0, `export runs: ${exported.stderr.slice(0, 300)}`)
  t.equal(exported.stdout.trim().split('\n').length, 2, 'and exports the two good versions')
})
