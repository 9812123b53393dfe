import t from 'tap'
import { IdClock, idSecond, isVersionId } from '../../src/storage/ids.js'

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
