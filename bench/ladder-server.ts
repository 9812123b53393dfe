// The read figures' ladder: the bare baseline's route, with the service's per-request parts added
// one step at a time (its Fastify options, then each plugin that has a per-request hook), so the
// bench can show what each step costs a read. The parts are the service's own plugins, not copies.
//
//   node dist/bench/ladder-server.js BODY_FILE PORT STEP    (STEP: how many parts of LADDER to add,
//   bench/ladder-server-steps.ts)
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import Fastify, { type FastifyInstance } from 'fastify'
import drain from '../plugins/drain.js'
import env from '../plugins/env.js'
import errors from '../plugins/errors.js'
import requestId from '../plugins/request-id.js'
import security from '../plugins/security.js'
import { serverOptions } from '../src/server-options.js'


const [bodyFile, port, step] = process.argv.slice(2)
if (bodyFile === undefined || port === undefined || step === undefined) {
  process.stderr.write('usage: ladder-server.js BODY_FILE PORT STEP\n')
  process.exit(2)
}
const steps = Number(step)
const body = JSON.parse(await readFile(bodyFile, 'utf8')) as Record<string, unknown>

const fastify: FastifyInstance = steps >= 1 ? Fastify(serverOptions({ LOG_LEVEL: 'warn' })) : Fastify()
// The plugins read their configuration as the service does; nothing here opens a data folder.
await fastify.register(env, { env: { DATA_DIR: tmpdir(), CLAUDE_SYNC_API_KEY: 'ladder-write-key-0123456789abcdef', LOG_LEVEL: 'warn' } })
const plugins = [drain, errors, requestId, security]
for (const plugin of plugins.slice(0, Math.max(0, steps - 1))) await fastify.register(plugin)
fastify.get('/api/claude/console-usage', async () => body)
fastify.get('/ready', async () => ({ ok: true }))
await fastify.listen({ port: Number(port), host: '127.0.0.1' })
process.once('SIGTERM', () => {
  void fastify.close().then(() => process.exit(0))
})
