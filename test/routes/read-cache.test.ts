// With CLAUDE_READ_API_KEY set, reads are private to the key (contract section 5): a shared cache
// in front must never serve them to someone else.
import t from 'tap'
import { build, samplePayload, WRITE_KEY } from '../helper.js'

const URL = '/api/claude/console-usage'
const READ_KEY = 'read-key-0123456789abcdef'

t.test('with a read key: Cache-Control private and Vary: X-API-Key; without one: public', async (t) => {
  const guarded = await build(t, { env: { CLAUDE_READ_API_KEY: READ_KEY } })
  const { version } = (await guarded.inject({ method: 'POST', url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })).json() as { version: { id: string } }
  for (const url of [URL, `${URL}/versions/${version.id}`]) {
    const read = await guarded.inject({ method: 'GET', url, headers: { 'x-api-key': READ_KEY } })
    t.equal(read.statusCode, 200)
    t.equal(read.headers['cache-control'], 'private, max-age=60', `${url}: private`)
    t.match(read.headers.vary, /x-api-key/i, `${url}: Vary names X-API-Key`)
    const notModified = await guarded.inject({ method: 'GET', url, headers: { 'x-api-key': READ_KEY, 'if-none-match': String(read.headers.etag) } })
    t.equal(notModified.statusCode, 304)
    t.equal(notModified.headers['cache-control'], 'private, max-age=60', `${url}: a 304 too`)
  }
  const open = await build(t)
  await open.inject({ method: 'POST', url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: samplePayload() })
  const read = await open.inject({ method: 'GET', url: URL })
  t.equal(read.headers['cache-control'], 'public, max-age=60', 'public reads stay public')
  t.notMatch(String(read.headers.vary ?? ''), /x-api-key/i)
})
