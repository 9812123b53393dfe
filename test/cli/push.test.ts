// `usage-vault push`: POSTs a payload with the write key, as the scraper does. Against the real
// service: stored (0), refused (1, without a retry). Against a scripted server, for the answers the
// real one gives only under faults: retries after 5xx and network errors, never after 4xx. The
// waits between attempts are shortened through the variable the command keeps for tests.
import t from 'tap'
import { createServer, type IncomingMessage } from 'node:http'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { tempDir } from '../helper.js'
import { freePort, payload, runCli, startService, WRITE_KEY } from '../ops/lib.js'

const FAST = { USAGE_VAULT_PUSH_RETRY_DELAYS_MS: '20,40' }

async function payloadFile (t: Parameters<typeof tempDir>[0], body: unknown): Promise<string> {
  const file = join(await tempDir(t), 'payload.json')
  await writeFile(file, typeof body === 'string' ? body : JSON.stringify(body))
  return file
}

/** A server that answers the statuses given, in order, and records what it received. */
async function scripted (t: Parameters<typeof tempDir>[0], statuses: number[]): Promise<{ url: string, requests: Array<{ headers: IncomingMessage['headers'], body: string, url: string }> }> {
  const requests: Array<{ headers: IncomingMessage['headers'], body: string, url: string }> = []
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8').on('data', (chunk: string) => { body += chunk })
    request.on('end', () => {
      requests.push({ headers: request.headers, body, url: request.url ?? '' })
      const status = statuses[requests.length - 1] ?? 500
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(status === 200
        ? { success: true, version: { id: '2026-01-01T00-00-00-00000001' }, duplicate: false }
        : { success: false, statusCode: status, errorCode: status === 401 ? 'AUTH_INVALID' : 'STORAGE_UNAVAILABLE', message: 'scripted' }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

t.test('against the service: stored, then refused with a wrong key or a bad body, never retried', async (t) => {
  const dataDir = await tempDir(t)
  const service = await startService(t, { DATA_DIR: dataDir })
  const url = `http://127.0.0.1:${service.port}`
  const file = await payloadFile(t, payload(7))

  const stored = await runCli(['push', file, '--url', url], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY } })
  t.equal(stored.code, 0, stored.stderr)
  const { version } = JSON.parse(stored.stdout) as { version: { id: string } }
  t.ok(existsSync(join(dataDir, 'console-usage-history', `${version.id}.json`)), 'the version is on disk')

  const fromStdin = await runCli(['push', '-'], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, USAGE_VAULT_URL: url }, input: JSON.stringify(payload(8)) })
  t.equal(fromStdin.code, 0, `stdin, URL from USAGE_VAULT_URL: ${fromStdin.stderr}`)

  const wrongKey = await runCli(['push', file, '--url', url], { env: { CLAUDE_SYNC_API_KEY: 'a-wrong-key-0123456789', ...FAST } })
  t.equal(wrongKey.code, 1)
  t.match(wrongKey.stderr, /refused: 401 AUTH_INVALID/)
  t.notMatch(wrongKey.stderr, /retrying/)

  const bad = await runCli(['push', await payloadFile(t, { lastUpdated: 'yesterday' }), '--url', url], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, ...FAST } })
  t.equal(bad.code, 1)
  t.match(bad.stderr, /refused: 400 VALIDATION_ERROR/)
  t.notMatch(bad.stderr, /retrying/)
})

t.test('5xx is retried twice, then stored or given up', async (t) => {
  const file = await payloadFile(t, payload(1))
  const recovering = await scripted(t, [503, 500, 200])
  const stored = await runCli(['push', file, '--url', recovering.url], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, ...FAST } })
  t.equal(stored.code, 0, stored.stderr)
  t.equal(recovering.requests.length, 3, 'three attempts')
  t.match(stored.stderr, /503 STORAGE_UNAVAILABLE: scripted; retrying in 0.02 s\n.*500 STORAGE_UNAVAILABLE: scripted; retrying in 0.04 s/)
  const [first] = recovering.requests
  t.equal(first?.url, '/api/claude/console-usage')
  t.equal(first?.headers['x-api-key'], WRITE_KEY)
  t.equal(first?.headers['content-type'], 'application/json')
  t.same(JSON.parse(first?.body ?? ''), payload(1))
  t.equal(new Set(recovering.requests.map((request) => request.headers['x-request-id'])).size, 1, 'one request id for every attempt')

  const failing = await scripted(t, [503, 503, 503, 200])
  const gaveUp = await runCli(['push', file, '--url', failing.url], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, ...FAST } })
  t.equal(gaveUp.code, 1)
  t.equal(failing.requests.length, 3, 'no fourth attempt')
  t.match(gaveUp.stderr, /not stored after 3 attempt\(s\): 503/)

  const refused = await scripted(t, [401, 200])
  const once = await runCli(['push', file, '--url', refused.url], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, ...FAST } })
  t.equal(once.code, 1)
  t.equal(refused.requests.length, 1, '401 is not retried')
})

t.test('a refused connection is retried, then given up with status 1', async (t) => {
  const port = await freePort()
  const result = await runCli(['push', await payloadFile(t, payload(2)), '--url', `http://127.0.0.1:${port}`], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, ...FAST } })
  t.equal(result.code, 1)
  t.equal(result.stderr.match(/ECONNREFUSED; retrying/g)?.length, 2)
  t.match(result.stderr, /not stored after 3 attempt\(s\): ECONNREFUSED/)
})

t.test('usage errors: no key, no such file, not a URL', async (t) => {
  const file = await payloadFile(t, payload(3))
  const noKey = await runCli(['push', file])
  t.equal(noKey.code, 2)
  t.match(noKey.stderr, /CLAUDE_SYNC_API_KEY is not set/)
  const noFile = await runCli(['push', '/nonexistent/payload.json'], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY } })
  t.equal(noFile.code, 2)
  t.match(noFile.stderr, /cannot read \/nonexistent\/payload\.json: ENOENT/)
  const badUrl = await runCli(['push', file, '--url', 'not a url'], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY } })
  t.equal(badUrl.code, 2)
  t.match(badUrl.stderr, /--url not a url is not a URL/)
})

t.test('a redirect is never followed: the key and the body go nowhere else', async (t) => {
  const elsewhere = await scripted(t, [200])
  const requests: string[] = []
  const server = createServer((request, response) => {
    requests.push(request.url ?? '')
    request.resume()
    response.writeHead(307, { location: `${elsewhere.url}/api/claude/console-usage` })
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const result = await runCli(['push', await payloadFile(t, payload(4)), '--url', `http://127.0.0.1:${(server.address() as AddressInfo).port}`],
    { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, ...FAST } })
  t.equal(result.code, 1, 'an error')
  t.match(result.stderr, /redirect/i, `says so: ${result.stderr.trim()}`)
  t.equal(requests.length, 1, 'one attempt, not retried')
  t.equal(elsewhere.requests.length, 0, 'the other origin received nothing')
})

t.test('plain http:// to a host other than loopback is refused unless --insecure', async (t) => {
  const file = await payloadFile(t, payload(5))
  const refused = await runCli(['push', file, '--url', 'http://vault.example.invalid'], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, ...FAST } })
  t.equal(refused.code, 2, 'a usage error')
  t.match(refused.stderr, /--insecure/, `names the option: ${refused.stderr.trim()}`)
  t.notMatch(refused.stderr, /retrying/, 'no attempt was made')
  const insecure = await runCli(['push', file, '--insecure', '--url', 'http://vault.example.invalid'], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, USAGE_VAULT_PUSH_RETRY_DELAYS_MS: '' } })
  t.equal(insecure.code, 1, 'with --insecure it tries (and here fails to resolve)')
  t.notMatch(insecure.stderr, /--insecure/)
  await Promise.all(['http://127.0.0.1:1', 'http://localhost:1', 'http://[::1]:1'].map(async (loopback) => {
    const local = await runCli(['push', file, '--url', loopback], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY, USAGE_VAULT_PUSH_RETRY_DELAYS_MS: '' } })
    t.equal(local.code, 1, `${loopback}: loopback needs no --insecure (connection refused here)`)
    t.notMatch(local.stderr, /--insecure/)
  }))
})
