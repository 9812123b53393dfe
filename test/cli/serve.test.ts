// `usage-vault serve`: the service as `npm start` runs it, here with its folder from --data-dir:
// it answers /health, holds the folder's lock, and closes with status 0 on SIGTERM.
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { childEnv, CLI, freePort, startProcess, waitForHealth, WRITE_KEY } from '../ops/lib.js'

t.test('serve --data-dir runs the service on that folder', async (t) => {
  const dataDir = await tempDir(t)
  const port = await freePort()
  const service = startProcess(t, [CLI, 'serve', '--data-dir', dataDir], childEnv({ HOST: '127.0.0.1', PORT: String(port), CLAUDE_SYNC_API_KEY: WRITE_KEY }))
  await waitForHealth(port)
  t.ok(existsSync(join(dataDir, '.lock')), 'it holds the folder given')
  t.ok(existsSync(join(dataDir, 'console-usage-history')))
  service.child.kill('SIGTERM')
  t.same(await service.exited, { code: 0, signal: null }, 'SIGTERM: exit 0')
  t.notOk(existsSync(join(dataDir, '.lock')), 'the lock is released')
})
