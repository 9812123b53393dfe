// A generated corpus of requests that the service must refuse: bodies of the wrong shape at every
// field (wrong types, missing and extra fields, huge strings, deep nesting, `__proto__` and
// `constructor` keys), broken JSON, wrong content types, bad query values, path tricks in ids,
// oversized headers, and the attacks of issue 16 (wrong keys behind a forged X-Forwarded-For, keys
// too short, payloads nested thousands deep, retention pages out of range, prototype fields in series).
// Every one is refused (never stored) and none may answer 5xx.
import { payloadFor } from '../fixtures/payloads.mjs'
import { USAGE } from './http.js'
import { WRITE_KEY } from './processes.js'

export interface HostileRequest {
  label: string
  method: string
  path: string
  headers: Record<string, string>
  body?: string
  /** A write that must be refused (any 2xx would store it). */
  write: boolean
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const BAD_BY_KIND: Record<string, Json[]> = {
  number: ['47', null, true, -1, 100.0001, 101, -0.5, 1e308, [], {}, [47], { value: 47 }, '', 'NaN'],
  text: ['', 5, null, true, [], {}, ['2 hr'], { text: '2 hr' }, 0],
  date: ['', 'not a date', '2026-13-45T99:99:99Z', '2026-01-25', '25/01/2026 16:32', 5, null, true, [], {}, 'x'.repeat(60_000), '2026-01-25T16:32:31Z\u0000'],
  object: [null, [], 'x', 5, true, '', [{}]],
  boolean: ['true', 1, 0, null, 'false', [], {}],
  strings: [{ field: 5 }, { field: null }, { field: {} }, { field: [] }, { field: true }, [], 'x', 5, null]
}

const FIELDS: Array<{ path: string[], kind: keyof typeof BAD_BY_KIND, required: boolean }> = [
  { path: ['lastUpdated'], kind: 'date', required: true },
  { path: ['currentSession'], kind: 'object', required: false },
  { path: ['currentSession', 'resetsIn'], kind: 'text', required: true },
  { path: ['currentSession', 'percentageUsed'], kind: 'number', required: true },
  { path: ['weeklyLimits'], kind: 'object', required: false },
  // One weekly entry alone is a partial scrape, accepted (contract section 5): neither is required.
  { path: ['weeklyLimits', 'allModels'], kind: 'object', required: false },
  { path: ['weeklyLimits', 'allModels', 'resetsIn'], kind: 'text', required: true },
  { path: ['weeklyLimits', 'allModels', 'percentageUsed'], kind: 'number', required: true },
  { path: ['weeklyLimits', 'sonnetOnly'], kind: 'object', required: false },
  { path: ['weeklyLimits', 'sonnetOnly', 'percentageUsed'], kind: 'number', required: true },
  { path: ['isPartial'], kind: 'boolean', required: false },
  { path: ['extractionErrors'], kind: 'strings', required: false }
]

const OBJECT_PATHS = [[], ['currentSession'], ['weeklyLimits'], ['weeklyLimits', 'allModels'], ['weeklyLimits', 'sonnetOnly']]

function withChange (path: string[], change: (parent: Record<string, Json>, key: string) => void): Record<string, Json> {
  const payload = structuredClone(payloadFor(0)) as Record<string, Json>
  let parent = payload
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, Json>
  change(parent, path[path.length - 1] as string)
  return payload
}

function deep (depth: number, open: string, close: string, inner = '1'): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`
}

export function hostileCorpus (): HostileRequest[] {
  const requests: HostileRequest[] = []
  const write = (label: string, body: string, headers: Record<string, string> = {}): void => {
    requests.push({ label, method: 'POST', path: USAGE, headers: { 'content-type': 'application/json', 'x-api-key': WRITE_KEY, ...headers }, body, write: true })
  }
  const read = (label: string, path: string, headers: Record<string, string> = {}): void => {
    requests.push({ label, method: 'GET', path, headers, write: false })
  }

  // Wrong types and missing fields, at every field.
  for (const field of FIELDS) {
    for (const value of BAD_BY_KIND[field.kind] ?? []) {
      write(`${field.path.join('.')} = ${JSON.stringify(value).slice(0, 40)}`, JSON.stringify(withChange(field.path, (parent, key) => { parent[key] = value })))
    }
    if (field.required) write(`${field.path.join('.')} missing`, JSON.stringify(withChange(field.path, (parent, key) => { delete parent[key] })))
  }
  write('neither currentSession nor weeklyLimits', JSON.stringify(withChange(['currentSession'], (parent) => { delete parent.currentSession; delete parent.weeklyLimits })))
  write('weeklyLimits without an entry', JSON.stringify(withChange(['weeklyLimits'], (parent) => { parent.weeklyLimits = {} })))
  // The partial scrape's placeholder, in a section extractionErrors does not name.
  for (const [section, declared] of [['currentSession', 'sonnetOnly'], ['sonnetOnly', 'allModels'], ['allModels', 'currentSession']]) {
    const path = section === 'currentSession' ? [section] : ['weeklyLimits', section as string]
    write(`placeholder in ${section}, ${declared} declared`, JSON.stringify({
      ...withChange(path, (parent, key) => { parent[key] = { resetsIn: '', percentageUsed: 0 } }),
      isPartial: true,
      extractionErrors: { [declared as string]: 'not found' }
    }))
  }

  // Extra fields at every level, prototype keys among them; huge and deep values in them.
  const extras: Array<[string, string]> = [
    ['extra', '1'], ['__proto__', '{"polluted":true}'], ['constructor', '{"prototype":{"polluted":true}}'],
    ['prototype', '{}'], ['x'.repeat(10_000), '1'], ['huge', JSON.stringify('y'.repeat(60_000))],
    ['nested', deep(5_000, '[', ']')], ['nestedObject', deep(2_000, '{"a":', '}')], ['', '""']
  ]
  for (const path of OBJECT_PATHS) {
    for (const [key, valueText] of extras) {
      const marker = '"__EXTRA__":0'
      const base = JSON.stringify(withChange([...path, '__EXTRA__'], (parent, name) => { parent[name] = 0 }))
      write(`extra ${key.slice(0, 20)} at ${path.join('.') || 'top'}`, base.replace(marker, `${JSON.stringify(key)}:${valueText}`))
    }
  }
  write('__proto__ in extractionErrors', JSON.stringify(payloadFor(0)).replace('"seq"', '"__proto__"'))

  // Broken JSON: every truncation of a valid body, and assorted garbage.
  const valid = JSON.stringify(payloadFor(0))
  for (let length = 0; length < valid.length; length++) write(`truncated at ${length}`, valid.slice(0, length))
  for (const text of ['', ' ', 'null', 'true', '0', '"text"', '[]', '[{}]', '{}', '{"a":', '{,}', "{'a':1}", '{"a":1,}', 'NaN', '\u0000',
    `${valid}garbage`, `${valid}${valid}`, valid.replaceAll('"', "'"), deep(100_000, '[', ']'), deep(20_000, '{"a":', '}', '{}'),
    '{"lastUpdated":"2026-01-25T16:32:31Z","lastUpdated":5,"currentSession":{"resetsIn":"1","percentageUsed":1}}']) {
    write(`garbage ${JSON.stringify(text).slice(0, 30)}`, text)
  }
  write('body over 64 KiB', JSON.stringify({ ...payloadFor(0), extractionErrors: { big: 'z'.repeat(70_000) } }))
  for (let seed = 1; seed <= 800; seed++) {
    // Bytes that look a little like JSON, from a fixed sequence.
    let text = ''
    let state = seed
    for (let i = 0; i < 40 + (seed % 60); i++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff
      text += '{}[]":,0123456789abcdefnulltrue \\\u00e9\ud83d'[state % 44] ?? ''
    }
    write(`noise ${seed}`, text)
  }

  // Wrong content types around a body that would otherwise be stored.
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json',
    'application/octet-stream', 'application/jsonx', 'image/png', 'application/json-patch+json', '*/*', '']) {
    write(`content-type ${type || '(empty)'}`, valid, { 'content-type': type })
  }
  requests.push({ label: 'no content-type', method: 'POST', path: USAGE, headers: { 'x-api-key': WRITE_KEY }, body: valid, write: true })

  // Bad query values on every read route.
  const badValues = ['0', 'abc', '1.5', '-0', '1e999', '99999999999999999999', '', '%00', '%20', '0x10', '-99999', 'null', '[]', 'x'.repeat(5_000), '%E0%A4%A']
  for (const value of badValues) {
    for (const query of [`version=${value}`, `timestamp=${value}`, `at=${value}`, `version=${value}&at=${value}`]) read(`GET ?${query.slice(0, 40)}`, `${USAGE}?${query}`)
    for (const query of [`limit=${value}`, `cursor=${value}`, `from=${value}`, `to=${value}`, `order=${value}`]) read(`versions ?${query.slice(0, 40)}`, `${USAGE}/versions?${query}`)
    read(`diff ${value.slice(0, 20)}`, `${USAGE}/diff?from=${value}&to=${value}`)
    for (const query of [`field=${value}`, `field=currentSession.percentageUsed&points=${value}`, `field=currentSession.percentageUsed&from=${value}`]) read(`series ?${query.slice(0, 40)}`, `${USAGE}/series?${query}`)
  }
  for (const query of ['version=1&version=2', 'version[]=1', '__proto__[x]=1', 'constructor[prototype][x]=1', 'limit=1001', 'limit=-1', 'order=sideways',
    'field=__proto__', 'field=constructor', 'field=toString', 'field=hasOwnProperty', 'field=constructor.prototype', 'field=__proto__.polluted', 'points=1000000000']) {
    read(`query ${query}`, `${USAGE}/versions?${query}`)
    read(`series ${query}`, `${USAGE}/series?${query}`)
    read(`read ${query}`, `${USAGE}?${query}`)
  }

  // Path tricks in ids.
  for (const id of ['..%2F..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%252f..%252fetc%252fpasswd', '%00', '_metadata', '.index',
    '.api-key', '..', '.', '%2e%2e', 'con', '2026-01-25T16-32-31-ca7d685a%2F..%2F..%2F.api-key', '2026-01-25T16-32-31-ca7d685a.json',
    '2026-02-31T16-32-31-ca7d685a', '2026-01-25T16-32-31-CA7D685A', 'x'.repeat(5_000), '%F0%9F%92%A9', '..%5C..%5Cwindows']) {
    read(`id ${id.slice(0, 30)}`, `${USAGE}/versions/${id}`)
    read(`diff id ${id.slice(0, 30)}`, `${USAGE}/diff?from=${id}&to=${id}`)
  }

  // Oversized headers, on a read and on a write.
  read('header of 100 KiB', USAGE, { 'x-padding': 'p'.repeat(100_000) })
  read('300 headers', USAGE, Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x-h${i}`, 'v'.repeat(60)])))
  write('api key of 100 KiB', valid, { 'x-api-key': 'k'.repeat(100_000) })
  write('request id of 10 KiB', valid.replace('"seq":"0"', '"seq":5'), { 'x-request-id': 'r'.repeat(10_000) })

  // Issue 16. Wrong, short and missing keys, some behind a forged X-Forwarded-For (no TRUST_PROXY: it
  // changes nothing); the corpus's valid key from the same address must go on working after them.
  for (let n = 0; n < 15; n++) {
    write(`wrong key ${n} behind a forged X-Forwarded-For`, valid, { 'x-api-key': `wrong-key-0123456789-${n}`, 'x-forwarded-for': `203.0.113.${n}` })
  }
  for (const key of ['k', 'x'.repeat(15), WRITE_KEY.slice(0, 16)]) write(`short key ${key.length}`, valid, { 'x-api-key': key })
  requests.push({ label: 'no key', method: 'POST', path: USAGE, headers: { 'content-type': 'application/json' }, body: valid, write: true })
  write('payload nested 3,600 deep in an array', valid.replace('{', `{"x":${deep(3_600, '[', ']')},`))
  write('payload nested 3,600 deep in objects', valid.replace('{', `{"x":${deep(3_600, '{"a":', '}')},`))
  for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=1e3', 'cursor=', 'cursor=forged', 'cursor=eyJ9.AAAA', `cursor=${'c'.repeat(2_000)}`, 'limit=-1&cursor=x']) {
    read(`retention ?${query.slice(0, 30)}`, `${USAGE}/retention?${query}`)
  }
  for (const field of ['__proto__', 'constructor', 'toString', '__defineGetter__', 'valueOf']) read(`series field=${field}`, `${USAGE}/series?field=${field}`)

  // Other methods on the write route, with a valid body.
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    requests.push({ label: `${method} with a valid body`, method, path: USAGE, headers: { 'content-type': 'application/json', 'x-api-key': WRITE_KEY }, body: valid, write: true })
  }
  return requests
}
