// The canonical form of a payload (what duplicates are compared by) works at any depth, without
// recursion, and keeps its key-order independence; `nestingDepth` tells a payload nested beyond reason.
import t from 'tap'
import { canonical, nestingDepth } from '../../src/storage/payload.js'

t.test('canonical: keys sorted at every level, equal payloads compare equal', async (t) => {
  t.equal(canonical({ b: 1, a: { d: [1, { f: null, e: 'x' }], c: true } }), '{"a":{"c":true,"d":[1,{"e":"x","f":null}]},"b":1}')
  t.equal(canonical({ a: 1, b: 2 }), canonical({ b: 2, a: 1 }))
  t.equal(canonical([]), '[]')
  t.equal(canonical({}), '{}')
  t.equal(canonical('text"'), '"text\\""')
  t.equal(canonical({ a: [[], {}] }), '{"a":[[],{}]}')
})

t.test('canonical of a value nested 100,000 deep does not overflow the stack', async (t) => {
  const deep = JSON.parse(`${'['.repeat(100_000)}1${']'.repeat(100_000)}`) as unknown
  t.equal(canonical(deep).length, 200_001)
  const deepObject = JSON.parse(`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`) as unknown
  t.equal(canonical(deepObject).length, 20_000 * 6 + 1)
})

t.test('nestingDepth counts levels of arrays and objects', async (t) => {
  t.equal(nestingDepth(1), 0)
  t.equal(nestingDepth({}), 1)
  t.equal(nestingDepth({ a: { b: [1] } }), 3)
  t.equal(nestingDepth(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)), 100_000)
})
