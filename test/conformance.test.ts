// One conformance suite for both stores: the store and HTTP tests that are not about the data
// folder run a second time here, against the PostgreSQL store. The files themselves do not change;
// test/lib/stores.ts reads USAGE_VAULT_TEST_STORE and gives each test a schema of its own on the one
// server this runner starts (or TEST_DATABASE_URL). A test about the folder itself (its files, its
// lock, the earlier server's layout) is marked `folderOnly` in its file and skipped in this pass.
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from './ops/lib.js'
import { testDatabaseUrl } from './lib/postgres.js'

/**
 * Every file whose tests reach the history, through VersionStore or HTTP. Left out: tests of what
 * never touches the store (test/plugins/ env, errors, request-id, security, drain; test/routes/docs
 * and page), of the folder itself (test/storage/ but version-store, test/faults/, test/e2e/), and
 * auth, whose app has its own environment (the generated key lives in the folder). A new route that
 * reads or writes the history belongs here.
 */
export const CONFORMANCE_FILES = [
  'test/storage/version-store.test.ts',
  'test/history/version-feed.test.ts',
  'test/plugins/storage.test.ts',
  'test/plugins/cleanup.test.ts',
  'test/routes/console-usage.test.ts',
  'test/routes/versions.test.ts',
  'test/routes/events.test.ts',
  'test/routes/health.test.ts',
  'test/routes/metadata.test.ts',
  'test/routes/retention.test.ts',
  'test/routes/diff.test.ts',
  'test/routes/series.test.ts'
]

t.test('the store and HTTP tests pass on the PostgreSQL store', async (t) => {
  const url = await testDatabaseUrl()
  // Not this process's tap variables: the child is a run of its own, not a part of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(TAP|_TAP)/.test(name)))
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tap'), ['--disable-coverage', '--reporter=tap', '--jobs=2', ...CONFORMANCE_FILES], {
    cwd: ROOT,
    env: { ...env, USAGE_VAULT_TEST_STORE: 'postgres', TEST_DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  // Each file's verdict and time, as the child's TAP summary lines give them.
  const files = [...output.matchAll(/^(?:not )?ok \d+ - (test\/\S+)(?: # (?:time=(\S+)|SKIP.*))?$/gm)].map((match) => `${match[0].startsWith('not') ? 'FAILED ' : ''}${match[1]} ${match[2] ?? ''}`)
  t.equal(code, 0, `tap on ${CONFORMANCE_FILES.length} files with USAGE_VAULT_TEST_STORE=postgres`, { files, output: code === 0 ? undefined : output.slice(-20_000) })
  t.equal(files.length, CONFORMANCE_FILES.length, 'every file ran')
})
