// `usage-vault import` checks each version as a POST body is checked (contract section 7): the
// payload schema and the 64 KiB limit, a well-formed id that names the second of its receivedAt,
// neither more than a minute in the future. A line that fails is reported by number, and nothing is
// written before every line has passed; the folder then opens, verifies and exports as before.
import t from 'tap'
import { tempDir } from '../helper.js'
import { runCli, startService } from '../ops/lib.js'
import { ndjson, versionFiles, versionLines, type Line } from './lib.js'

const good = versionLines(2)
const idAt = (iso: string, hex = '00000abc'): string => `${iso.slice(0, 19).replaceAll(':', '-')}-${hex}`
const line = (receivedAt: string, payload: Record<string, unknown>, id = idAt(receivedAt)): Line => ({ id, receivedAt, payload })
const base = (good[0] as Line).payload

const cases: Array<[string, Line, RegExp]> = [
  ['receivedAt in year 9999', line('2026-01-02T00:00:00.000Z', base, idAt('2026-01-02T00:00:00.000Z')), /./],
  ['an id of the last second there is', line('9999-12-31T23:59:59.000Z', base, '9999-12-31T23-59-59-ffffffff'), /future/],
  ['an id that names another second than receivedAt', line('2026-01-02T00:00:00.000Z', base, idAt('2026-01-02T00:00:07.000Z')), /second/],
  ['a percentage sent as text', line('2026-01-02T00:00:00.000Z', { ...base, currentSession: { resetsIn: '1 hr', percentageUsed: '47' } }), /percentageUsed/],
  ['a field the POST schema does not have', line('2026-01-02T00:00:00.000Z', { ...base, extra: 1 }), /extra/],
  ['a payload over 64 KiB', line('2026-01-02T00:00:00.000Z', { ...base, extractionErrors: { big: 'z'.repeat(150_000) } }), /64 KiB/],
  ['a payload nested 3,600 deep', line('2026-01-02T00:00:00.000Z', { ...base, x: JSON.parse(`${'['.repeat(3600)}1${']'.repeat(3600)}`) as unknown }), /x|nested/]
]
// The first case's receivedAt is moved to 9999 after the id is made, as the attack had it.
;(cases[0] as [string, Line, RegExp])[1].receivedAt = '9999-06-01T00:00:00.000Z'
;(cases[0] as [string, Line, RegExp])[1].id = idAt('9999-06-01T00:00:00.000Z')
;(cases[0] as [string, Line, RegExp])[2] = /future/

t.test('each bad line is reported by number and nothing is imported', async (t) => {
  await Promise.all(cases.map(async ([label, bad, why]) => {
    const dataDir = await tempDir(t)
    const result = await runCli(['import', '-', '--data-dir', dataDir], { input: ndjson([...good, bad]) })
    t.equal(result.code, 1, `${label}: refused (${result.stderr.trim().slice(0, 200)})`)
    t.match(result.stderr, /line 3/, `${label}: the line is named`)
    t.match(result.stderr, why, `${label}: the reason is given`)
    t.same(await versionFiles(dataDir), [], `${label}: no version file was written`)
  }))
})

t.test('after a refused deep import the folder verifies, exports and serves', async (t) => {
  const dataDir = await tempDir(t)
  const deep = cases[6]?.[1] as Line
  t.equal((await runCli(['import', '-', '--data-dir', dataDir], { input: ndjson([...good, deep]) })).code, 1)
  t.equal((await runCli(['import', '-', '--data-dir', dataDir], { input: ndjson(good) })).code, 0, 'good lines import')
  const [verify, exported] = await Promise.all([runCli(['verify', '--data-dir', dataDir]), runCli(['export', '--data-dir', dataDir])])
  t.equal(verify.code, 0, `verify: ${verify.stdout}${verify.stderr}`)
  t.equal(exported.code, 0, `export: ${exported.stderr}`)
  const service = await startService(t, { DATA_DIR: dataDir })
  const answer = await fetch(`http://127.0.0.1:${service.port}/health`)
  t.equal(answer.status, 200, 'the service starts')
})
