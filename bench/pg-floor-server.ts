// A bare Fastify instance with one POST route that stores the body with one single-row INSERT
// commit through postgres.js: the floor under the service's write latency on PostgreSQL (one
// HTTP round trip plus one INSERT commit, nothing else).
import Fastify from 'fastify'
import postgres from 'postgres'

const [url, port] = process.argv.slice(2)
if (url === undefined || port === undefined) {
  process.stderr.write('usage: pg-floor-server.js DATABASE_URL PORT\n')
  process.exit(2)
}
const sql = postgres(url, { max: 1, onnotice: () => {} })
await sql`CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, payload text NOT NULL)`
const fastify = Fastify()
fastify.post('/api/claude/console-usage', async (request) => {
  await sql`INSERT INTO bench_floor (payload) VALUES (${JSON.stringify(request.body)})`
  return { success: true }
})
fastify.get('/ready', async () => ({ ok: true }))
await fastify.listen({ port: Number(port), host: '127.0.0.1' })
process.once('SIGTERM', () => {
  void fastify.close().then(async () => { await sql.end() }).then(() => process.exit(0))
})
