// The baseline of the read figures: a bare Fastify instance (no logger, no plugins, no hooks) with
// one route that answers the same JSON object the service serves, held in memory. What the service
// does beyond this is what the read ratios measure.
import { readFile } from 'node:fs/promises'
import Fastify from 'fastify'

const [bodyFile, port] = process.argv.slice(2)
if (bodyFile === undefined || port === undefined) {
  process.stderr.write('usage: bare-server.js BODY_FILE PORT\n')
  process.exit(2)
}
const body = JSON.parse(await readFile(bodyFile, 'utf8')) as Record<string, unknown>

const fastify = Fastify()
fastify.get('/api/claude/console-usage', async () => body)
fastify.get('/ready', async () => ({ ok: true }))
await fastify.listen({ port: Number(port), host: '127.0.0.1' })
process.once('SIGTERM', () => {
  void fastify.close().then(() => process.exit(0))
})
