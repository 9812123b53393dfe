// GET /metrics: the names of contract section 11, the read-key rule (X-API-Key or a bearer token),
// counters where things happen, missing sections left out; `promtool check metrics` on the text;
// and a real Prometheus, started with its own configuration and data folder, that scrapes the real
// service with the bearer key and answers the usage gauge from its query API.
import t from 'tap'
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build, samplePayload, tempDir, WRITE_KEY } from '../helper.js'
import { freePort, startService, WRITE_KEY as SERVICE_KEY } from '../ops/lib.js'

const READ_KEY = 'metrics-read-key-0123456789'
const PATH = '/api/claude/console-usage'

/** `promtool check metrics` on `text`: its exit code and what it printed. */
async function promtool (text: string): Promise<{ code: number | null, output: string }> {
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stdin.end(text)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  return { code, output }
}

/** The value of the sample with exactly these labels, from the text format. */
function sample (text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}${labels === '' ? '' : `{${labels}}`} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

t.test('the metrics of section 11, behind the read key, counted where things happen', async (t) => {
  const app = await build(t, { env: { CLAUDE_READ_API_KEY: READ_KEY } })
  const write = (payload: unknown) => app.inject({ method: 'POST', url: PATH, headers: { 'x-api-key': WRITE_KEY }, payload: payload as Record<string, unknown> })
  const first = samplePayload(40)
  t.equal((await write(first)).statusCode, 200)
  t.equal((await write(first)).statusCode, 200, 'a duplicate')
  t.equal((await write({ lastUpdated: 'yesterday' })).statusCode, 400)
  // Sonnet declared missing: its placeholder is no reading, so the gauge keeps the last real one.
  const partial = samplePayload(45)
  ;(partial.weeklyLimits as Record<string, unknown>).sonnetOnly = { resetsIn: '', percentageUsed: 0 }
  t.equal((await write({ ...partial, isPartial: true, extractionErrors: { sonnetOnly: 'not found' } })).statusCode, 200)

  t.equal((await app.inject({ url: '/metrics' })).statusCode, 401, 'no key')
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-key-0123456789' } })).statusCode, 401, 'a wrong bearer key')
  t.equal((await app.inject({ url: '/metrics', headers: { 'x-api-key': READ_KEY } })).statusCode, 200, 'the read key in X-API-Key')
  const scraped = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${READ_KEY}` } })
  t.equal(scraped.statusCode, 200, 'the read key as a bearer token')
  t.match(scraped.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const text = scraped.body

  t.equal(sample(text, 'usage_vault_usage_percent', 'limit="session"'), 45)
  t.equal(sample(text, 'usage_vault_usage_percent', 'limit="weekly_all_models"'), 31)
  t.equal(sample(text, 'usage_vault_usage_percent', 'limit="weekly_sonnet"'), 10, 'the newest real value, not the placeholder')
  t.ok((sample(text, 'usage_vault_usage_reset_timestamp_seconds', 'limit="session"') ?? 0) > Date.now() / 1000, 'the session reset is ahead')
  t.equal(sample(text, 'usage_vault_versions'), 2)
  t.equal(sample(text, 'usage_vault_stored_bytes'), app.store.bytesStored())
  t.equal(sample(text, 'usage_vault_latest_snapshot_timestamp_seconds'), (app.store.latest()?.meta.receivedAt ?? 0) / 1000)
  t.equal(sample(text, 'usage_vault_storage_writable'), 1)
  t.equal(sample(text, 'usage_vault_snapshots_received_total', 'result="stored"'), 2)
  t.equal(sample(text, 'usage_vault_snapshots_received_total', 'result="duplicate"'), 1)
  t.equal(sample(text, 'usage_vault_snapshots_received_total', 'result="rejected"'), 1)
  t.equal(sample(text, 'usage_vault_versions_deleted_total'), 0)
  t.equal(sample(text, 'usage_vault_commit_duration_seconds_count'), 2)
  t.ok((sample(text, 'http_request_duration_seconds_count', 'method="POST",route="/api/claude/console-usage",status_code="200"') ?? 0) >= 3, 'the HTTP histogram counts every route')
  const series = 'method="GET",route="/metrics",status_code="401"'
  const buckets = text.split('\n').filter((line) => line.startsWith(`http_request_duration_seconds_bucket{${series},le=`)).map((line) => Number(line.split(' ')[1]))
  t.equal(buckets.length, 15, 'fourteen bounds and +Inf')
  t.ok(buckets.every((value, index) => index === 0 || value >= (buckets[index - 1] as number)), 'buckets are cumulative')
  t.equal(buckets[14], 2, 'the two refused scrapes, in +Inf')
  t.equal(sample(text, 'http_request_duration_seconds_count', series), 2)
  t.ok((sample(text, 'process_resident_memory_bytes') ?? 0) > 0, 'and the process metrics')
  t.match(text, /# TYPE usage_vault_alerts_total counter/)
  t.notMatch(text, /http_request_summary_seconds/, 'no summary beside the histogram')

  const checked = await promtool(text)
  t.equal(checked.code, 0, `promtool check metrics: ${checked.output}`)
})

t.test('without a read key /metrics is public, as reads are; METRICS_ENABLED=false serves none', async (t) => {
  const open = await build(t)
  t.equal((await open.inject({ url: '/metrics' })).statusCode, 200)
  const off = await build(t, { env: { METRICS_ENABLED: 'false' } })
  t.equal((await off.inject({ url: '/metrics' })).statusCode, 404)
})

t.test('a real Prometheus scrapes the service with the bearer key and answers the usage gauge', async (t) => {
  const service = await startService(t, { DATA_DIR: await tempDir(t), CLAUDE_READ_API_KEY: READ_KEY })
  const stored = await fetch(`http://127.0.0.1:${service.port}${PATH}`, {
    method: 'POST', headers: { 'x-api-key': SERVICE_KEY, 'content-type': 'application/json' }, body: JSON.stringify(samplePayload(63))
  })
  t.equal(stored.status, 200)

  const folder = await tempDir(t, 'usage-vault-prometheus-')
  const config = join(folder, 'prometheus.yml')
  await writeFile(config, [
    'global:',
    '  scrape_interval: 1s',
    'scrape_configs:',
    '  - job_name: usage-vault',
    '    authorization:',
    `      credentials: ${READ_KEY}`,
    '    static_configs:',
    `      - targets: ['127.0.0.1:${service.port}']`,
    ''
  ].join('\n'))
  const port = await freePort()
  const server = spawn('prometheus', [
    `--config.file=${config}`, `--storage.tsdb.path=${join(folder, 'data')}`, `--web.listen-address=127.0.0.1:${port}`
  ], { cwd: folder, stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  server.stderr.on('data', (chunk: Buffer) => { log = (log + chunk.toString()).slice(-5000) })
  const exited = new Promise((resolve) => server.once('close', resolve))
  server.once('error', (error) => { t.fail(`prometheus did not start: ${error.message} (Debian: apt-get install prometheus)`) })
  t.teardown(async () => {
    server.kill('SIGTERM')
    await exited
  })

  const query = `usage_vault_usage_percent{limit="session",job="usage-vault"}`
  let result: Array<{ value: [number, string] }> = []
  const deadline = Date.now() + 60_000
  while (result.length === 0) {
    if (Date.now() > deadline) throw new Error(`Prometheus never answered ${query}:\n${log}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
    const answer = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`).catch(() => null)
    if (answer?.status === 200) result = ((await answer.json()) as { data: { result: typeof result } }).data.result
  }
  t.equal(result[0]?.value[1], '63', 'the usage gauge, as scraped with the bearer key')
  const targets = await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).json() as { data: { activeTargets: Array<{ health: string, lastError: string }> } }
  t.match(targets.data.activeTargets[0], { health: 'up', lastError: '' })
})
