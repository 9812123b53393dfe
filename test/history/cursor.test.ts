import t from 'tap'
import { createCursorCodec, type CursorState } from '../../src/history/cursor.js'

const state: CursorState = { order: 'desc', from: 1_700_000_000_000, to: null, after: '2026-01-25T16-32-31-ca7d685a' }

t.test('a cursor carries the query and the position back unchanged', async (t) => {
  const codec = createCursorCodec('secret')
  const cursor = codec.encode(state)
  t.match(cursor, /^[\w-]+\.[\w-]+$/, 'url-safe, no padding')
  t.same(codec.decode(cursor), state)
})

t.test('a changed cursor is refused', async (t) => {
  const codec = createCursorCodec('secret')
  const cursor = codec.encode(state)
  const [body, tag] = cursor.split('.') as [string, string]
  const forged = Buffer.from(JSON.stringify([1, 'desc', null, null, '2026-01-25T16-32-31-ca7d685a'])).toString('base64url')
  t.equal(codec.decode(`${forged}.${tag}`), null, 'another body under the same tag')
  t.equal(codec.decode(`${body}.${tag.slice(0, -2)}AA`), null, 'another tag')
  t.equal(codec.decode(body), null, 'no tag')
  t.equal(codec.decode(''), null)
  t.equal(codec.decode('.'), null)
  t.equal(codec.decode('not a cursor at all'), null)
  t.equal(createCursorCodec('other secret').decode(cursor), null, 'made with another secret')
})

t.test('a well-signed cursor with a bad shape is refused too', async (t) => {
  const codec = createCursorCodec('secret')
  t.equal(codec.decode(codec.encode({ ...state, after: '../etc/passwd' })), null)
  t.equal(codec.decode(codec.encode({ ...state, order: 'sideways' as 'asc' })), null)
})
