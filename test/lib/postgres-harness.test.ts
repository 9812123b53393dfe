// test/lib/postgres.ts: the embedded server starts, answers, survives an immediate shutdown and a
// start on the same data, and leaves no folder behind.
import t from 'tap'
import { startPostgres, query } from './postgres.js'

t.test('a server of its own answers, stops hard, starts again with its data', async (t) => {
  const server = await startPostgres(t)
  await query(server.url, 'CREATE TABLE kept (n int)')
  await query(server.url, 'INSERT INTO kept VALUES (1)')
  await server.stopHard()
  await t.rejects(query(server.url, 'SELECT 1'), 'down after an immediate shutdown')
  await server.start()
  t.same(await query(server.url, 'SELECT n FROM kept'), [{ n: 1 }], 'committed rows survive it')
})
