// Guarantee 9 of the fault suite: API keys. Every write route (as the OpenAPI document lists them)
// refuses a missing and a wrong key with 401 and stores nothing; repeated wrong keys from one address
// get 429, while a missing key is never counted and the valid key is never refused; a generated key
// file is mode 0600; no key ever reaches the log, even at level trace.
import t from 'tap'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { payloadFor } from './fixtures/payloads.mjs'
import { readFolder } from './lib/folder.js'
import { errorCode, post, request, USAGE, type Answer } from './lib/http.js'
import { missingBuild } from './lib/paths.js'
import { startService, WRITE_KEY, type Service } from './lib/processes.js'

const skip = missingBuild()
// (Leading and trailing blanks of a header value are not part of it in HTTP, so they are no near miss.)
const WRONG_KEYS = ['wrong-key-f7c2d1', `${WRITE_KEY}x`, WRITE_KEY.toUpperCase(), WRITE_KEY.slice(0, -1), `${WRITE_KEY.slice(0, 8)}-${WRITE_KEY.slice(9)}`]
const READ_KEY = 'fault-suite-read-key-5b1e9a'

async function writeRoutes (service: Service): Promise<Array<{ method: string, path: string }>> {
  const document = (await request(service, '/docs/json')).body as { paths?: Record<string, Record<string, unknown>> } | null
  const routes: Array<{ method: string, path: string }> = []
  for (const [path, operations] of Object.entries(document?.paths ?? {})) {
    for (const method of Object.keys(operations)) {
      if (['post', 'put', 'patch', 'delete'].includes(method)) routes.push({ method: method.toUpperCase(), path })
    }
  }
  return routes
}

const send = async (service: Service, route: { method: string, path: string }, key: string | null): Promise<Answer> =>
  await request(service, route.path, {
    method: route.method,
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'x-api-key': key }) },
    body: JSON.stringify(payloadFor(1))
  })

t.test('write routes refuse missing and wrong keys, and repeated failures get 429', { skip: skip ?? false }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-keys-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const service = await startService(dataDir, { env: { LOG_LEVEL: 'trace', CLAUDE_READ_API_KEY: READ_KEY } })
  t.teardown(() => service.stop())
  t.equal((await post(service, payloadFor(0))).status, 200, 'the write key stores')

  const routes = await writeRoutes(service)
  t.ok(routes.some((route) => route.path === USAGE && route.method === 'POST'), `the OpenAPI document lists the write routes: ${routes.map((route) => `${route.method} ${route.path}`).join(', ')}`)
  let failures = 0
  for (const route of routes) {
    const missing = await send(service, route, null)
    t.equal(missing.status, 401, `${route.method} ${route.path} without a key: 401`)
    t.equal(errorCode(missing), 'AUTH_MISSING', 'AUTH_MISSING')
    const wrong = await send(service, route, WRONG_KEYS[0] as string)
    t.equal(wrong.status, 401, `${route.method} ${route.path} with a wrong key: 401`)
    t.equal(errorCode(wrong), 'AUTH_INVALID', 'AUTH_INVALID')
    const readKey = await send(service, route, READ_KEY)
    t.equal(readKey.status, 401, `${route.method} ${route.path} with the read key: 401`)
    // The missing key is not counted: it cannot be a guess.
    failures += 2
    if (failures >= 8) break
  }
  for (const key of WRONG_KEYS) {
    if (failures >= 10) break
    const answer = await post(service, payloadFor(2), key)
    t.equal(answer.status, 401, `near miss ${JSON.stringify(key.slice(0, 12))}...: 401`)
    failures++
  }
  const blocked = await post(service, payloadFor(3), 'one-more-wrong-key-88')
  t.equal(blocked.status, 429, 'after 10 failures in a minute: 429')
  t.ok(Number(blocked.headers.get('retry-after')) > 0, 'with Retry-After')
  t.equal(errorCode(blocked), 'TOO_MANY_ATTEMPTS', 'TOO_MANY_ATTEMPTS')
  t.equal((await post(service, payloadFor(3), null)).status, 401, 'a missing key is still 401, not 429')
  t.equal((await readFolder(dataDir)).ids.length, 1, 'nothing was stored by a refused request')
  t.equal((await post(service, payloadFor(4))).status, 200, 'the write key from the blocked address is stored')

  const logged = service.lines.join('\n')
  t.ok(service.lines.length > 10, `the log was written (${service.lines.length} lines at level trace)`)
  const keys: Array<[string, string]> = [['the write key', WRITE_KEY], ['the read key', READ_KEY],
    ...WRONG_KEYS.map((key, index): [string, string] => [`wrong key ${index + 1}`, key]), ['the last wrong key', 'one-more-wrong-key-88']]
  for (const [name, key] of keys) t.notOk(logged.includes(key), `the log never holds ${name}`)
})

t.test('a generated key is kept in a 0600 file that the log names, and never logged itself', { skip: skip ?? false }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-keyfile-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const service = await startService(dataDir, { env: { CLAUDE_SYNC_API_KEY: undefined, LOG_LEVEL: 'trace' } })
  t.teardown(() => service.stop())
  const keyFile = join(dataDir, '.api-key')
  t.equal((await stat(keyFile)).mode & 0o777, 0o600, '.api-key is mode 0600')
  const key = (await readFile(keyFile, 'utf8')).trim()
  t.ok(key.length >= 32, 'the key is long')
  t.equal((await post(service, payloadFor(0), key)).status, 200, 'the key from the file stores')
  t.equal((await post(service, payloadFor(1), WRITE_KEY)).status, 401, 'another key does not')
  t.equal((await post(service, payloadFor(2), null)).status, 401, 'no key does not')
  t.ok(service.lines.some((line) => line.includes(keyFile)), 'the log names the key file')
  await service.stop()
  t.notOk(service.lines.join('\n').includes(key), 'the log never holds the generated key')

  // The next start reads the same key back, and does not log it either.
  const again = await startService(dataDir, { env: { CLAUDE_SYNC_API_KEY: undefined, LOG_LEVEL: 'trace' } })
  t.teardown(() => again.stop())
  t.equal((await post(again, payloadFor(3), key)).status, 200, 'the same key works after a restart')
  t.equal((await stat(keyFile)).mode & 0o777, 0o600, 'still 0600')
  t.notOk(again.lines.join('\n').includes(key), 'the restarted service does not log it')
})
