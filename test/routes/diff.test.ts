import t from 'tap'
import jsonPatch from 'fast-json-patch'
import { build, samplePayload } from '../helper.js'

const URL = '/api/claude/console-usage/diff'

t.test('the patch applied to the first payload gives the second', async (t) => {
  const app = await build(t)
  const first = { ...samplePayload(10, '2026-03-01T10:00:00.000Z'), isPartial: true, extractionErrors: { weeklyLimits: 'not found' } }
  const second = samplePayload(52, '2026-03-01T10:05:00.000Z')
  const a = (await app.store.save(first)).version.id
  const b = (await app.store.save(second)).version.id

  const res = await app.inject({ method: 'GET', url: URL, query: { from: a, to: b } })
  t.equal(res.statusCode, 200)
  const body = res.json<{ from: string, to: string, patch: jsonPatch.Operation[] }>()
  t.equal(body.from, a)
  t.equal(body.to, b)
  t.ok(body.patch.some((op) => op.op === 'replace' && op.path === '/currentSession/percentageUsed'))
  t.same(jsonPatch.applyPatch(structuredClone(first), body.patch).newDocument, second)

  const back = (await app.inject({ method: 'GET', url: URL, query: { from: b, to: a } })).json<{ patch: jsonPatch.Operation[] }>()
  t.same(jsonPatch.applyPatch(structuredClone(second), back.patch).newDocument, first, 'and the other way round')
  t.same((await app.inject({ method: 'GET', url: URL, query: { from: a, to: a } })).json<{ patch: unknown[] }>().patch, [], 'a version against itself')
})

t.test('both ids are needed and checked; missing versions are 404, pruned ones 410', async (t) => {
  const app = await build(t, { env: { RETENTION_MAX_VERSIONS: '1', RETENTION_DAYS: '0' } })
  const old = (await app.store.save(samplePayload(1))).version.id
  const kept = (await app.store.save(samplePayload(2))).version.id
  await app.store.cleanup()

  const queries: Array<Record<string, string>> = [{ from: kept }, { to: kept }, { from: 'x', to: kept }, { from: kept, to: '2026-02-30T00-00-00-00000000' }]
  for (const query of queries) {
    const res = await app.inject({ method: 'GET', url: URL, query })
    t.equal(res.statusCode, 400, JSON.stringify(query))
    t.match(res.json(), { success: false, errorCode: 'VALIDATION_ERROR', message: /querystring\.(from|to)/ })
  }
  const pruned = await app.inject({ method: 'GET', url: URL, query: { from: old, to: kept } })
  t.equal(pruned.statusCode, 410)
  t.match(pruned.json(), { errorCode: 'VERSION_PRUNED', oldestAvailableId: kept })
  const absent = await app.inject({ method: 'GET', url: URL, query: { from: kept, to: '2099-01-01T00-00-00-00000000' } })
  t.equal(absent.statusCode, 404)
  t.match(absent.json(), { errorCode: 'NOT_FOUND', message: /2099-01-01T00-00-00-00000000/ })
})
