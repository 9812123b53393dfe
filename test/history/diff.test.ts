import t from 'tap'
import jsonPatch from 'fast-json-patch'
import { diffPayloads } from '../../src/history/diff.js'

t.test('the patch turns the first payload into the second', async (t) => {
  const from = { lastUpdated: '2026-01-01T00:00:00Z', currentSession: { resetsIn: '2 hr', percentageUsed: 10 }, isPartial: true }
  const to = { lastUpdated: '2026-01-01T00:05:00Z', currentSession: { resetsIn: '1 hr 55 min', percentageUsed: 12 }, extractionErrors: { a: 'b' } }
  const patch = diffPayloads(from, to)
  t.ok(patch.length > 0)
  t.same(jsonPatch.applyPatch(structuredClone(from), patch).newDocument, to)
  t.same(diffPayloads(to, to), [], 'equal payloads, empty patch')
})
