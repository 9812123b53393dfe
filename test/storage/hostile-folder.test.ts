// What a folder prepared by someone else must not do to the service (contract sections 3 and 4):
// symbolic links are never followed (a probe, a version file, the index, `_damaged/`, the key), new
// folders are 0700 and files 0600, `.api-key` is always 0600, and a file nested beyond reason or
// named for a time in the future is damaged (moved aside), never fatal and never raising the clock.
import t from 'tap'
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile, lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { build, samplePayload, tempDir, WRITE_KEY } from '../helper.js'
import { derivedFilesFollow } from './fixtures/folder.js'

const URL = '/api/claude/console-usage'
const HISTORY = 'console-usage-history'
const save = async (app: Awaited<ReturnType<typeof build>>, n = 1): Promise<{ statusCode: number, id: string }> => {
  const answer = await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload(n) })
  return { statusCode: answer.statusCode, id: (answer.json() as { version?: { id: string } }).version?.id ?? '' }
}
const health = async (app: Awaited<ReturnType<typeof build>>): Promise<{ status: string, storage: { writable: boolean, damaged: number } }> =>
  (await app.inject({ method: 'GET', url: '/health' })).json()

/** A folder outside the data folder, with a file an attacker wants read or overwritten. */
async function outside (t: Parameters<typeof tempDir>[0]): Promise<{ dir: string, target: string }> {
  const dir = await tempDir(t, 'uv-outside-')
  const target = join(dir, 'target.json')
  await writeFile(target, JSON.stringify({ ...samplePayload(99), secret: 'not for the API' }))
  return { dir, target }
}

t.test('the health probe never writes through a planted link', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  const { target } = await outside(t)
  const before = await readFile(target, 'utf8')
  await symlink(target, join(dataDir, HISTORY, `.probe-${process.pid}.tmp`))
  const report = await health(app)
  t.equal(await readFile(target, 'utf8'), before, 'the file behind the link is unchanged')
  t.equal(report.storage.writable, true, 'the folder is still reported writable')
})

t.test('a version file that is a link is refused: not listed, not served, reported', async (t) => {
  const dataDir = await tempDir(t)
  const { target } = await outside(t)
  await mkdir(join(dataDir, HISTORY), { recursive: true })
  const id = '2026-01-01T00-00-00-00000001'
  await symlink(target, join(dataDir, HISTORY, `${id}.json`))
  const app = await build(t, { dataDir })
  t.equal((await app.inject({ method: 'GET', url: `${URL}/versions/${id}` })).statusCode, 404, 'not served')
  t.equal((await app.inject({ method: 'GET', url: URL })).statusCode, 404, 'not the latest either')
  t.notMatch((await app.inject({ method: 'GET', url: `${URL}/versions` })).body, id, 'not listed')
  t.ok((await health(app)).storage.damaged >= 1, 'reported by /health')
})

t.test('the index never appends through a link', async (t) => {
  const dataDir = await tempDir(t)
  const app = await build(t, { dataDir })
  const { target } = await outside(t)
  const before = await readFile(target, 'utf8')
  await symlink(target, join(dataDir, HISTORY, '.index.ndjson'))
  t.equal((await save(app)).statusCode, 200, 'the write is still stored')
  await app.close()
  t.equal(await readFile(target, 'utf8'), before, 'the file behind the link is unchanged')
})

t.test('damaged files are never moved through a linked _damaged/', async (t) => {
  const dataDir = await tempDir(t)
  const { dir } = await outside(t)
  await mkdir(join(dataDir, HISTORY), { recursive: true })
  await writeFile(join(dataDir, HISTORY, '2026-01-01T00-00-00-00000001.json'), '{ garbage')
  await symlink(dir, join(dataDir, HISTORY, '_damaged'))
  const app = await build(t, { dataDir })
  t.same((await readdir(dir)).sort(), ['target.json'], 'nothing was moved into the folder behind the link')
  t.ok((await health(app)).storage.damaged >= 1, 'the damaged file is reported')
})

t.test('a linked .api-key is refused: no key is read or written through it', async (t) => {
  const dataDir = await tempDir(t)
  const { dir } = await outside(t)
  const chosen = join(dir, 'chosen-key')
  await writeFile(chosen, 'a-key-the-attacker-knows-0123456789\n')
  await symlink(chosen, join(dataDir, '.api-key'))
  await t.rejects(build(t, { dataDir, env: { CLAUDE_SYNC_API_KEY: undefined } }), { message: /\.api-key.*symbolic link/ }, 'the start is refused')

  const dangling = await tempDir(t)
  const wouldBe = join(dir, 'written-through')
  await symlink(wouldBe, join(dangling, '.api-key'))
  await t.rejects(build(t, { dataDir: dangling, env: { CLAUDE_SYNC_API_KEY: undefined } }), { message: /symbolic link/ })
  await t.rejects(stat(wouldBe), { code: 'ENOENT' }, 'no key was written through the link')
})

t.test('an existing 0644 .api-key is made 0600', async (t) => {
  const dataDir = await tempDir(t)
  const keyFile = join(dataDir, '.api-key')
  await writeFile(keyFile, 'an-existing-key-0123456789abcdef\n')
  await chmod(keyFile, 0o644)
  const app = await build(t, { dataDir, env: { CLAUDE_SYNC_API_KEY: undefined } })
  t.equal((await stat(keyFile)).mode & 0o777, 0o600)
  t.equal((await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': 'an-existing-key-0123456789abcdef' }, payload: samplePayload() })).statusCode, 200, 'the key still works')
})

t.test('folders it creates are 0700 and files 0600', async (t) => {
  const dataDir = join(await tempDir(t), 'new', 'data')
  const app = await build(t, { dataDir, env: { CLAUDE_SYNC_API_KEY: undefined } })
  const key = (await readFile(join(dataDir, '.api-key'), 'utf8')).trim()
  const answer = await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': key }, payload: samplePayload() })
  const id = (answer.json() as { version: { id: string } }).version.id
  await mkdir(join(dataDir, HISTORY, '_damaged'), { recursive: true }).catch(() => {})
  // The latest file follows the answer within moments (contract section 4, "Derived files").
  t.ok(await derivedFilesFollow(dataDir, app.store), 'the derived files follow')
  const modes: Record<string, string> = {}
  for (const path of [dataDir, join(dataDir, HISTORY), join(dataDir, HISTORY, `${id}.json`), join(dataDir, HISTORY, '_metadata.json'),
    join(dataDir, 'console-usage-synced.json'), join(dataDir, '.lock'), join(dataDir, '.api-key')]) {
    modes[path.slice(dataDir.length) || '/'] = ((await lstat(path)).mode & 0o777).toString(8)
  }
  await app.close()
  modes['/console-usage-history/.index.ndjson'] = ((await lstat(join(dataDir, HISTORY, '.index.ndjson'))).mode & 0o777).toString(8)
  t.same(modes, {
    '/': '700',
    '/console-usage-history': '700',
    [`/console-usage-history/${id}.json`]: '600',
    '/console-usage-history/_metadata.json': '600',
    '/console-usage-synced.json': '600',
    '/.lock': '600',
    '/.api-key': '600',
    '/console-usage-history/.index.ndjson': '600'
  })
})

t.test('a file nested beyond reason is damaged, not fatal', async (t) => {
  const dataDir = await tempDir(t)
  await mkdir(join(dataDir, HISTORY), { recursive: true })
  const deep = `${'['.repeat(3600)}1${']'.repeat(3600)}`
  await writeFile(join(dataDir, HISTORY, '2026-01-01T00-00-00-00000001.json'), `{"lastUpdated":"2026-01-01T00:00:00Z","x":${deep}}`)
  const app = await build(t, { dataDir })
  t.ok((await health(app)).storage.damaged >= 1, 'the service starts and reports it')
  t.same(await readdir(join(dataDir, HISTORY, '_damaged')), ['2026-01-01T00-00-00-00000001.json'], 'moved aside')
})

t.test('an earlier-format file named for the future is damaged and never raises the clock', async (t) => {
  const dataDir = await tempDir(t)
  await mkdir(join(dataDir, HISTORY), { recursive: true })
  await writeFile(join(dataDir, HISTORY, '2099-01-01T00-00-00-3fa2c9d1.json'), JSON.stringify(samplePayload(5), null, 2))
  const app = await build(t, { dataDir })
  t.same(await readdir(join(dataDir, HISTORY, '_damaged')), ['2099-01-01T00-00-00-3fa2c9d1.json'], 'moved aside')
  const { id } = await save(app)
  t.equal(id.slice(0, 4), String(new Date().getUTCFullYear()), `the next id is for now: ${id}`)
  t.ok((await health(app)).storage.damaged >= 1, 'reported')
})

t.test('a lock file that is a link is never read or written through: it is replaced by a real lock', async (t) => {
  const dataDir = await tempDir(t)
  const { target } = await outside(t)
  const before = await readFile(target, 'utf8')
  await symlink(target, join(dataDir, '.lock'))
  const app = await build(t, { dataDir })
  t.equal((await save(app)).statusCode, 200, 'the service starts and stores')
  t.ok((await lstat(join(dataDir, '.lock'))).isFile(), 'the lock is a file of its own')
  t.equal(await readFile(target, 'utf8'), before, 'the file behind the link is unchanged')
})
