import t from 'tap'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { IdClock, idSecond, isVersionId } from '../../src/storage/ids.js'
import { tempDir } from '../helper.js'
import { idsOnDisk, openStore, payloadFor } from './fixtures/folder.js'

t.test('ids name the receipt second and sort in the order handed out', async (t) => {
  const clock = new IdClock(null, 0)
  const base = Date.parse('2026-03-01T10:00:00.250Z')
  const ids = Array.from({ length: 1000 }, (_, i) => clock.next(base + Math.floor(i / 10)).id)
  t.ok(ids.every(isVersionId))
  t.same([...ids].sort(), ids, 'string order is the order received')
  t.equal(new Set(ids).size, ids.length, 'no id repeats')
  t.equal(idSecond(ids[0] as string), Date.parse('2026-03-01T10:00:00Z'))
  t.match(ids[0], /^2026-03-01T10-00-00-[0-9a-f]{8}$/)
})

t.test('a clock that steps back never makes a smaller id or an earlier receipt', async (t) => {
  const clock = new IdClock(null, 0)
  const first = clock.next(Date.parse('2026-03-01T10:00:05Z'))
  const stepped = clock.next(Date.parse('2026-03-01T09:59:00Z'))
  t.ok(stepped.id > first.id)
  t.equal(stepped.receivedAt, first.receivedAt)
})

t.test('new ids follow an earlier server id of the same second, whatever its random part', async (t) => {
  const clock = new IdClock('2026-01-25T16-32-31-fffffffe', Date.parse('2026-01-25T16:32:31Z'))
  const a = clock.next(Date.parse('2026-01-25T16:32:31.500Z'))
  const b = clock.next(Date.parse('2026-01-25T16:32:31.600Z'))
  t.equal(a.id, '2026-01-25T16-32-31-ffffffff')
  t.ok(b.id > a.id, 'the suffix overflows into the next second')
})

t.test('names that are not real times are not ids', async (t) => {
  t.notOk(isVersionId('2026-02-31T10-00-00-00000000'))
  t.notOk(isVersionId('2026-01-25T24-00-00-00000000'))
  t.notOk(isVersionId('../../etc/passwd'))
  t.notOk(isVersionId('2026-01-25T16-32-31-CA7D685A'), 'hex is lowercase')
})

// The same promises kept by a store on a real folder, with a clock the test moves.
t.test('a store hands out ids in receipt order within one second, across restarts, and when the clock steps back', async (t) => {
  const dir = await tempDir(t)
  let now = Date.parse('2026-03-01T10:00:00.500Z')
  const clock = (): number => now
  let store = await openStore(t, dir, { clock })
  const made: Array<{ id: string, receivedAt: number }> = []
  let n = 0
  const saveOne = async (): Promise<void> => { made.push((await store.save(payloadFor(n++))).version) }

  // One after another and all at once, all in the same millisecond.
  for (let i = 0; i < 20; i++) await saveOne()
  const batch = await Promise.all(Array.from({ length: 30 }, () => store.save(payloadFor(n++))))
  made.push(...batch.map((result) => result.version))
  t.ok(made.every((version) => version.id.startsWith('2026-03-01T10-00-00-')), 'all in the second received')

  // The clock steps back a minute, then an hour.
  now -= 60_000
  await saveOne()
  now -= 3_600_000
  await saveOne()

  // A restart with the clock still behind, and one without an index (receipt times from the files).
  await store.close()
  store = await openStore(t, dir, { clock })
  await saveOne()
  await store.close()
  await rm(join(dir, 'console-usage-history', '.index.ndjson'))
  store = await openStore(t, dir, { clock })
  await saveOne()

  // The clock comes back: ids move on to the new second.
  now = Date.parse('2026-03-01T10:00:07.250Z')
  await saveOne()

  const ids = made.map((version) => version.id)
  t.equal(new Set(ids).size, ids.length, 'no id repeats')
  t.same([...ids].sort(), ids, 'string order is the order received')
  t.same(await idsOnDisk(dir), ids)
  t.same(store.list().map((meta) => meta.id), ids)
  const times = made.map((version) => version.receivedAt)
  t.ok(times.every((time, i) => i === 0 || time >= (times[i - 1] as number)), 'receipt times never go back')
  t.equal(times[times.length - 2], Date.parse('2026-03-01T10:00:00.500Z'), 'held at the last time seen while the clock was behind')
  t.match(ids[ids.length - 1], /^2026-03-01T10-00-07-/)
})

t.test('the clock never hands out a malformed id, even after the last id there can be', async (t) => {
  const clock = new IdClock('9999-12-31T23-59-59-ffffffff', Date.parse('9999-12-31T23:59:59Z'))
  let id: string | null = null
  try {
    id = clock.next(Date.now()).id
  } catch {}
  t.ok(id === null || isVersionId(id), `no malformed id (${String(id)})`)
})
