// HTTPS served directly (TLS_CERT_FILE and TLS_KEY_FILE), with a self-signed certificate made here:
// the port speaks only TLS, and a TLS configuration that cannot work stops the service before it
// listens, with a message naming the variable.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { childEnv, freePort, send, SERVER, startProcess, startService, WRITE_KEY } from './lib.js'

async function makeCertificate (dir: string): Promise<{ cert: string, key: string }> {
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  return { cert, key }
}

/** GET over HTTPS, trusting only the test's certificate. */
async function httpsGet (port: number, path: string, ca: Buffer): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    httpsRequest({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject).end()
  })
}

t.test('with both TLS files it serves HTTPS, and no plain HTTP on that port', async (t) => {
  const dir = await tempDir(t)
  const { cert, key } = await makeCertificate(dir)
  const service = await startService(t, { DATA_DIR: join(dir, 'data'), TLS_CERT_FILE: cert, TLS_KEY_FILE: key })
  t.match(service.output(), /Server listening at https:\/\//)

  const ca = await readFile(cert)
  const health = await httpsGet(service.port, '/health', ca)
  t.equal(health.status, 200, 'GET /health over HTTPS, certificate verified')
  t.match(JSON.parse(health.body), { storage: { writable: true } })

  const plain = await send(service.port, 'GET', '/health', { requestId: 'plain-http' })
  t.equal(plain.kind, 'network', `plain HTTP gets no HTTP answer (${plain.kind === 'network' ? plain.code : plain.status})`)

  // The healthcheck of the Dockerfile, as Docker runs it: node's fetch, no other tool.
  const dockerfile = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8')
  const check = /HEALTHCHECK[^[]*\[\s*"node",\s*"-e",\s*("(?:[^"\\]|\\.)*")\s*\]/s.exec(dockerfile)?.[1]
  t.ok(check, 'the Dockerfile has a node -e health check')
  const script = JSON.parse(check ?? '""') as string
  const run = (env: Record<string, string>): number => {
    try {
      execFileSync(process.execPath, ['-e', script], { env: childEnv(env), stdio: 'ignore', timeout: 10_000 })
      return 0
    } catch (error) {
      return (error as { status: number }).status
    }
  }
  t.equal(run({ PORT: String(service.port), TLS_CERT_FILE: cert }), 0, 'the image health check passes over HTTPS')
  t.equal(run({ PORT: String(service.port) }), 1, 'and fails when it speaks plain HTTP to a TLS port')

  service.child.kill('SIGTERM')
  t.same(await service.exited, { code: 0, signal: null })
})

t.test('a TLS configuration that cannot work stops the start, naming the variable', async (t) => {
  const dir = await tempDir(t)
  const { cert, key } = await makeCertificate(dir)
  const cases: Array<{ name: string, env: Record<string, string>, names: RegExp }> = [
    { name: 'only TLS_CERT_FILE', env: { TLS_CERT_FILE: cert }, names: /TLS_CERT_FILE is set but TLS_KEY_FILE is not/ },
    { name: 'only TLS_KEY_FILE', env: { TLS_KEY_FILE: key }, names: /TLS_KEY_FILE is set but TLS_CERT_FILE is not/ },
    { name: 'a key file that does not exist', env: { TLS_CERT_FILE: cert, TLS_KEY_FILE: join(dir, 'missing.pem') }, names: /TLS_KEY_FILE cannot be read/ },
    { name: 'a certificate that is a folder', env: { TLS_CERT_FILE: dir, TLS_KEY_FILE: key }, names: /TLS_CERT_FILE cannot be read/ }
  ]
  for (const { name, env, names } of cases) {
    const port = await freePort()
    const service = startProcess(t, [SERVER], childEnv({ HOST: '127.0.0.1', PORT: String(port), CLAUDE_SYNC_API_KEY: WRITE_KEY, DATA_DIR: join(dir, 'data'), ...env }))
    const exit = await service.exited
    t.not(exit.code, 0, `${name}: exit status non-zero`)
    t.match(service.output(), names, `${name}: the message names the variable`)
    t.notMatch(service.output(), /Server listening/, `${name}: it never listened`)
  }
})
