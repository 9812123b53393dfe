// `usage-vault agent` and the refresh button, with real processes: the service, the agent, and a
// small scraper script (fixtures/scraper.mjs) that prints a snapshot, fails, or prints no JSON as
// the test tells it. What a user would see: the trigger's answer, the versions stored, the exit.
import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helper.js'
import { CLI, childEnv, runCli, send, startProcess, startService, WRITE_KEY, type RunningProcess } from '../ops/lib.js'

const SCRAPER = fileURLToPath(new URL('./fixtures/scraper.mjs', import.meta.url))
const USAGE = '/api/claude/console-usage'

interface Setup {
  port: number
  state: string
  agent: RunningProcess
}

let requestCount = 0

async function call (port: number, method: string, path: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const answer = await send(port, method, path, { key: WRITE_KEY, requestId: `agent-test-${++requestCount}` })
  if (answer.kind !== 'answered') throw new Error(`${method} ${path}: ${answer.code}`)
  return { status: answer.status, body: JSON.parse(answer.body) as Record<string, unknown> }
}

const runs = async (state: string): Promise<number> => (await readFile(join(state, 'runs'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).length
const versionIds = async (port: number): Promise<string[]> =>
  ((await call(port, 'GET', `${USAGE}/versions?order=asc`)).body.items as Array<{ id: string }>).map((item) => item.id)

/** An agent running the scraper script against the service on `port`, once its first run is pushed and it listens. */
async function startAgent (t: Test, port: number, extraArgs: string[] = [], scraperArgs: string[] = []): Promise<Setup> {
  const state = await tempDir(t)
  const agent = startProcess(t, [CLI, 'agent', '--run', `"${process.execPath}" "${SCRAPER}" "${state}" ${scraperArgs.join(' ')}`, '--every', '1h', '--url', `http://127.0.0.1:${port}`, ...extraArgs],
    childEnv({ CLAUDE_SYNC_API_KEY: WRITE_KEY, USAGE_VAULT_PUSH_RETRY_DELAYS_MS: '50,100' }))
  await agent.waitForLine(/snapshot pushed/)
  await agent.waitForLine(/listening for refresh requests/)
  return { port, state, agent }
}

// One service and one agent for the whole story, as a user meets them: the subtests run in order.
t.test('the refresh button with a real agent and a real scraper command', async (t) => {
  const service = await startService(t, { DATA_DIR: await tempDir(t) })
  const { port } = service

  const alone = await call(port, 'POST', `${USAGE}/trigger`)
  t.equal(alone.status, 503, 'no agent connected: 503')
  t.match(alone.body, { errorCode: 'NO_SCRAPER_CONNECTED', suggestion: /usage-vault agent/ })

  const { state, agent } = await startAgent(t, port)
  t.equal(await runs(state), 1, 'the agent ran the scraper once at start, and pushed what it printed')
  t.equal((await versionIds(port)).length, 1)

  await t.test('a trigger: 200 with the version the run it caused stored', async (t) => {
    const [first] = await versionIds(port)
    const triggered = await call(port, 'POST', `${USAGE}/trigger?wait=60`)
    t.equal(triggered.status, 200, JSON.stringify(triggered.body))
    const id = (triggered.body.version as { id: string }).id
    t.not(id, first, 'a new version')
    t.same(await versionIds(port), [first, id])
    const latest = await call(port, 'GET', USAGE)
    t.equal((latest.body.currentSession as { percentageUsed: number }).percentageUsed, 2, 'what the second run printed')
    t.equal(await runs(state), 2)
  })

  await t.test('two triggers at once: one run, both answered with its version', async (t) => {
    const [one, two] = await Promise.all([
      call(port, 'POST', `${USAGE}/trigger?wait=60`),
      call(port, 'POST', `${USAGE}/trigger?wait=60`)
    ])
    t.equal(one?.status, 200)
    t.equal(two?.status, 200)
    t.same(one?.body.version, two?.body.version, 'the same version answers both')
    t.equal(await runs(state), 3, 'the scraper ran once for the two')
    t.equal((await versionIds(port)).length, 3)
  })

  await t.test('a failing command or bad JSON pushes nothing, and the agent goes on', async (t) => {
    for (const [mode, logged] of [['fail', /run failed: exited with status 1/], ['bad-json', /run failed: its output is not valid JSON/]] as const) {
      await writeFile(join(state, 'mode'), mode)
      const before = agent.lines.length
      const triggered = await call(port, 'POST', `${USAGE}/trigger?wait=1`)
      await agent.waitForLine(logged)
      t.equal(triggered.status, 202, `${mode}: agents asked, no version`)
      t.match(triggered.body, { agents: 1 })
      t.ok(agent.lines.slice(before).some((line) => logged.test(line)), `${mode}: logged`)
      t.equal((await versionIds(port)).length, 3, `${mode}: nothing pushed`)
    }
    await writeFile(join(state, 'mode'), 'ok')
    const triggered = await call(port, 'POST', `${USAGE}/trigger?wait=60`)
    t.equal(triggered.status, 200, 'the next good run is pushed')
    t.equal((await versionIds(port)).length, 4)
  })

  await t.test('SIGTERM ends the agent after the run in progress, with status 0', async (t) => {
    await writeFile(join(state, 'mode'), 'slow')
    const triggered = call(port, 'POST', `${USAGE}/trigger?wait=60`)
    // The scraper makes this file once it has started and waits for `go`.
    while (!existsSync(join(state, 'waiting'))) await sleep(20)
    agent.child.kill('SIGTERM')
    await agent.waitForLine(/stopping once the run in progress is done/)
    await writeFile(join(state, 'go'), '')
    t.same(await agent.exited, { code: 0, signal: null }, 'exit status 0')
    t.equal((await triggered).status, 200, 'the run in progress was finished and pushed')
    t.equal((await versionIds(port)).length, 5)
  })

  await t.test('--file: the snapshot is read from the file the command writes', async (t) => {
    const out = join(await tempDir(t), 'usage.json')
    await startAgent(t, port, ['--file', out], [`"${out}"`])
    const stored = JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>
    const latest = await call(port, 'GET', USAGE)
    t.same(latest.body.currentSession, stored.currentSession)
    t.equal((await versionIds(port)).length, 6)
  })
})

t.test('usage errors: a bad --every, no --run, no key', async (t) => {
  const [bad, noRun, noKey] = await Promise.all([
    runCli(['agent', '--run', 'true', '--every', '5 minutes'], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY } }),
    runCli(['agent'], { env: { CLAUDE_SYNC_API_KEY: WRITE_KEY } }),
    runCli(['agent', '--run', 'true'])
  ])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--every must be a duration such as 30s, 5m or 1h, got "5 minutes"/)
  t.equal(noRun.code, 2)
  t.match(noRun.stderr, /--run/)
  t.equal(noKey.code, 2)
  t.match(noKey.stderr, /CLAUDE_SYNC_API_KEY is not set: agent needs the write key/)
})
