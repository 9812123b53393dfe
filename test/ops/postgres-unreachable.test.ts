// A database that cannot be reached at start (contract section 8): the service retries for 30 s,
// then exits non-zero with a message naming DATABASE_URL (never its password), and never listens.
import t from 'tap'
import { childEnv, freePort, SERVER, startProcess, WRITE_KEY } from './lib.js'

t.test('an unreachable DATABASE_URL is retried, then the start fails naming it', async (t) => {
  // A port nobody listens on: every connection is refused at once, so only the retry takes time.
  const port = await freePort()
  const url = `postgres://vault:secret-password@127.0.0.1:${port}/vault`
  const started = Date.now()
  const service = startProcess(t, [SERVER], childEnv({ HOST: '127.0.0.1', PORT: String(await freePort()), CLAUDE_SYNC_API_KEY: WRITE_KEY, DATABASE_URL: url }))
  const exit = await service.exited
  const seconds = (Date.now() - started) / 1000
  t.not(exit.code, 0, `exits non-zero (${String(exit.code)}) after ${seconds.toFixed(1)} s`)
  t.ok(seconds >= 25, 'after retrying for about 30 s, not at the first refusal')
  t.match(service.output(), /DATABASE_URL/, 'the message names DATABASE_URL')
  t.notMatch(service.output(), /secret-password/, 'and never its password')
  t.notMatch(service.output(), /Server listening/, 'it never listened')
})
