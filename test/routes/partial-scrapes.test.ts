// Partial scrapes (contract section 5): each form the scraper builds when it reads only some
// sections of the usage page is stored as sent; the read views show the newest earlier real value
// of each missing section and name its version in versionInfo.carriedOver; series skip it; and an
// empty resetsIn that extractionErrors does not declare missing is still refused.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, tempDir, WRITE_KEY } from '../helper.js'
import { derivedFilesFollow } from '../storage/fixtures/folder.js'

const URL = '/api/claude/console-usage'
const PLACEHOLDER = { resetsIn: '', percentageUsed: 0 }

type Body = Record<string, unknown>
interface View { versionInfo: { id: string, carriedOver?: Record<string, string> } & Record<string, unknown> }

const full = (session: number, all: number, sonnet: number, minute: number): Body => ({
  currentSession: { resetsIn: `${5 - minute} hr`, percentageUsed: session },
  weeklyLimits: {
    allModels: { resetsIn: 'Thu 7:00 AM', percentageUsed: all },
    sonnetOnly: { resetsIn: 'Sat 12:00 PM', percentageUsed: sonnet }
  },
  lastUpdated: new Date(Date.UTC(2026, 1, 3, 9, minute)).toISOString()
})

const lastUpdated = new Date(Date.UTC(2026, 1, 3, 9, 30)).toISOString()

/** The partial bodies of the scraper, each with the sections it declares missing. */
const FORMS: Array<{ name: string, body: Body, missing: string[] }> = [
  {
    name: 'sonnetOnly missing',
    body: { currentSession: { resetsIn: '1 hr 5 min', percentageUsed: 61 }, weeklyLimits: { allModels: { resetsIn: 'Thu 7:00 AM', percentageUsed: 44 }, sonnetOnly: PLACEHOLDER }, lastUpdated, isPartial: true, extractionErrors: { sonnetOnly: 'Sonnet section not found' } },
    missing: ['weeklyLimits.sonnetOnly']
  },
  {
    name: 'allModels missing',
    body: { currentSession: { resetsIn: '1 hr 5 min', percentageUsed: 61 }, weeklyLimits: { allModels: PLACEHOLDER, sonnetOnly: { resetsIn: 'Sat 12:00 PM', percentageUsed: 19 } }, lastUpdated, isPartial: true, extractionErrors: { allModels: 'All models section not found' } },
    missing: ['weeklyLimits.allModels']
  },
  {
    name: 'currentSession missing',
    body: { weeklyLimits: { allModels: { resetsIn: 'Thu 7:00 AM', percentageUsed: 44 }, sonnetOnly: { resetsIn: 'Sat 12:00 PM', percentageUsed: 19 } }, lastUpdated, isPartial: true, extractionErrors: { currentSession: 'Current session not found' } },
    missing: ['currentSession']
  },
  {
    name: 'currentSession missing, sent as a placeholder',
    body: { currentSession: PLACEHOLDER, weeklyLimits: { allModels: { resetsIn: 'Thu 7:00 AM', percentageUsed: 44 }, sonnetOnly: { resetsIn: 'Sat 12:00 PM', percentageUsed: 19 } }, lastUpdated, isPartial: true, extractionErrors: { currentSession: 'Current session not found' } },
    missing: ['currentSession']
  },
  {
    name: 'two missing: currentSession and sonnetOnly (weeklyLimits with one entry)',
    body: { weeklyLimits: { allModels: { resetsIn: 'Thu 7:00 AM', percentageUsed: 44 } }, lastUpdated, isPartial: true, extractionErrors: { currentSession: 'not found', sonnetOnly: 'not found' } },
    missing: ['currentSession', 'weeklyLimits.sonnetOnly']
  },
  {
    name: 'two missing: both weekly entries',
    body: { currentSession: { resetsIn: '1 hr 5 min', percentageUsed: 61 }, weeklyLimits: { allModels: PLACEHOLDER, sonnetOnly: PLACEHOLDER }, lastUpdated, isPartial: true, extractionErrors: { allModels: 'not found', sonnetOnly: 'not found' } },
    missing: ['weeklyLimits.allModels', 'weeklyLimits.sonnetOnly']
  }
]

const post = async (app: FastifyInstance, body: unknown) =>
  await app.inject({ method: 'POST', url: URL, headers: { 'x-api-key': WRITE_KEY }, payload: body as Body })

async function stored (app: FastifyInstance, body: Body): Promise<string> {
  const response = await post(app, body)
  if (response.statusCode !== 200) throw new Error(`${response.statusCode} ${response.body}`)
  return response.json<{ version: { id: string } }>().version.id
}

async function read (t: Test, app: FastifyInstance, url: string): Promise<View & Body> {
  const response = await app.inject({ method: 'GET', url })
  t.equal(response.statusCode, 200, url)
  return response.json<View & Body>()
}

function sectionOf (body: Body, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], body)
}

/** `body` as a read must show it: each missing section replaced by `source`'s. */
function expectedView (body: Body, missing: string[], source: Body): Body {
  const view = structuredClone(body)
  for (const path of missing) {
    const value = sectionOf(source, path)
    if (path === 'currentSession') view.currentSession = value
    else view.weeklyLimits = { ...(view.weeklyLimits as Body | undefined), [path.split('.')[1] as string]: value }
  }
  return view
}

for (const form of FORMS) {
  t.test(`a partial scrape, ${form.name}: stored as sent, shown with the last real values, skipped by series`, async (t) => {
    const dataDir = await tempDir(t)
    const app = await build(t, { dataDir })
    const older = full(20, 30, 10, 0)
    const newer = full(25, 33, 12, 5)
    await stored(app, older)
    const newerId = await stored(app, newer)

    const id = await stored(app, form.body)
    const onDisk = JSON.parse(await readFile(join(dataDir, 'console-usage-history', `${id}.json`), 'utf8')) as unknown
    t.same(onDisk, form.body, 'the version file holds the body as sent')
    // The latest file follows the answer within moments (contract section 4, "Derived files").
    t.ok(await derivedFilesFollow(dataDir, app.store), 'the derived files follow')
    t.same(JSON.parse(await readFile(join(dataDir, 'console-usage-synced.json'), 'utf8')), form.body, 'so does the latest file')

    const carriedOver = Object.fromEntries(form.missing.map((path) => [path, newerId]))
    const expected = expectedView(form.body, form.missing, newer)
    const future = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())
    for (const url of [URL, `${URL}?version=-1`, `${URL}?version=3`, `${URL}?at=${future}`, `${URL}?timestamp=${future}`, `${URL}/versions/${id}`]) {
      const view = await read(t, app, url)
      t.equal(view.versionInfo.id, id, `${url}: the partial version`)
      t.same(view.versionInfo.carriedOver, carriedOver, `${url}: carriedOver names the version each missing section comes from`)
      for (const field of ['currentSession', 'weeklyLimits', 'isPartial', 'extractionErrors', 'lastUpdated']) {
        t.same(view[field], expected[field], `${url}: ${field}`)
      }
    }
    const older2 = await read(t, app, `${URL}?version=2`)
    t.notOk('carriedOver' in older2.versionInfo, 'a complete version carries nothing over')

    // The next partial scrape also carries from the last real value, not from the partial one.
    const again = { ...form.body, lastUpdated: new Date(Date.parse(lastUpdated) + 60_000).toISOString() }
    const againId = await stored(app, again)
    t.same((await read(t, app, `${URL}/versions/${againId}`)).versionInfo.carriedOver, carriedOver, 'two partial scrapes in a row: both carry from the last complete one')

    for (const path of form.missing) {
      const series = await app.inject({ method: 'GET', url: `${URL}/series?field=${path}.percentageUsed` })
      t.equal(series.statusCode, 200)
      const values = series.json<{ points: Array<{ value: number }> }>().points.map((point) => point.value)
      t.same(values, [sectionOf(older, `${path}.percentageUsed`), sectionOf(newer, `${path}.percentageUsed`)], `series of ${path}: no point for the versions that miss it`)
    }
  })
}

t.test('a partial scrape with no earlier real value is shown as sent, with no carriedOver', async (t) => {
  const app = await build(t)
  const [form] = FORMS
  if (form === undefined) throw new Error('no form')
  await stored(app, form.body)
  const view = await read(t, app, URL)
  t.notOk('carriedOver' in view.versionInfo)
  t.same(view.weeklyLimits, form.body.weeklyLimits)
})

t.test('the ETag follows what is carried over: its source pruned, the read changes and a held ETag no longer matches', async (t) => {
  // Both kept by the day rule until the clock moves two days on.
  let now = Date.now()
  const app = await build(t, { env: { RETENTION_MAX_VERSIONS: '1', RETENTION_DAYS: '1' }, clock: () => now })
  const [form] = FORMS
  if (form === undefined) throw new Error('no form')
  const sourceId = await stored(app, full(25, 33, 12, 5))
  const id = await stored(app, form.body)
  const first = await app.inject({ method: 'GET', url: URL })
  const etag = first.headers.etag as string
  t.equal(etag, `"${id}+${sourceId}"`, 'the ETag names the version and the source of what it shows')
  t.equal((await app.inject({ method: 'GET', url: URL, headers: { 'if-none-match': etag } })).statusCode, 304)

  now += 2 * 24 * 60 * 60_000
  await app.store.cleanup()
  t.same(app.store.list().map((meta) => meta.id), [id], 'the source is pruned')
  const after = await app.inject({ method: 'GET', url: URL, headers: { 'if-none-match': etag } })
  t.equal(after.statusCode, 200, 'the held ETag no longer matches')
  t.equal(after.headers.etag, `"${id}"`)
  t.notOk('carriedOver' in after.json<View>().versionInfo, 'nothing to carry over any more')
  t.same(after.json<Body>().weeklyLimits, form.body.weeklyLimits, 'the placeholder is shown as sent')
})

t.test('an empty resetsIn that extractionErrors does not declare missing is still 400, and stores nothing', async (t) => {
  const app = await build(t)
  await stored(app, full(25, 33, 12, 5))
  const base = full(26, 34, 13, 6)
  const cases: Array<[string, Body, string]> = [
    ['sonnetOnly placeholder, nothing declared', { ...base, weeklyLimits: { allModels: { resetsIn: 'Thu', percentageUsed: 4 }, sonnetOnly: PLACEHOLDER }, isPartial: true }, 'weeklyLimits.sonnetOnly'],
    ['sonnetOnly placeholder, allModels declared', { ...base, weeklyLimits: { allModels: PLACEHOLDER, sonnetOnly: PLACEHOLDER }, isPartial: true, extractionErrors: { allModels: 'x' } }, 'weeklyLimits.sonnetOnly'],
    ['allModels placeholder, sonnetOnly declared', { ...base, weeklyLimits: { allModels: PLACEHOLDER, sonnetOnly: { resetsIn: 'Sat', percentageUsed: 1 } }, extractionErrors: { sonnetOnly: 'x' } }, 'weeklyLimits.allModels'],
    ['currentSession placeholder, a weekly entry declared', { ...base, currentSession: PLACEHOLDER, extractionErrors: { allModels: 'x' } }, 'currentSession'],
    ['declared under another key', { ...base, currentSession: PLACEHOLDER, extractionErrors: { session: 'x' } }, 'currentSession']
  ]
  for (const [name, body, path] of cases) {
    const response = await post(app, body)
    t.equal(response.statusCode, 400, name)
    t.match(response.json(), { errorCode: 'VALIDATION_ERROR', message: `body.${path}.resetsIn must NOT have fewer than 1 characters` }, name)
  }
  t.equal(app.store.list().length, 1, 'nothing was stored')
})
