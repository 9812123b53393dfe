import t from 'tap'
import { bucketSeries, numericFields } from '../../src/history/series.js'
import { BASE, metas, MINUTE } from './fixtures.js'

t.test('few versions come back one point each', async (t) => {
  const list = metas(5, (i) => ({ n: i * 10 }))
  t.same(bucketSeries(list, { field: 'n', from: null, to: null, points: 200 }), [0, 1, 2, 3, 4].map((i) => ({
    t: BASE + i * MINUTE, value: i * 10, min: i * 10, max: i * 10
  })))
})

t.test('many versions are reduced to at most N buckets with last, min and max', async (t) => {
  // A saw tooth: 0..99, repeated; each bucket of 100 versions spans one tooth.
  const list = metas(1000, (i) => ({ n: i % 100 }))
  const points = bucketSeries(list, { field: 'n', from: null, to: null, points: 10 })
  t.ok(points.length <= 10)
  t.equal(points.length, 10)
  for (const point of points) {
    t.equal(point.min, 0)
    t.ok(point.max >= 98)
  }
  const last = points[points.length - 1]
  t.same(last, { t: BASE + 999 * MINUTE, value: 99, min: 0, max: 99 }, 'the last bucket ends with the last version')
  t.ok(points.every((point, i) => i === 0 || point.t > (points[i - 1]?.t ?? 0)), 'points in time order')
})

t.test('versions without the field and outside the range are left out', async (t) => {
  const list = metas(10, (i): Record<string, number> => (i % 2 === 0 ? { n: i } : {}))
  const points = bucketSeries(list, { field: 'n', from: BASE + 2 * MINUTE, to: BASE + 6 * MINUTE, points: 200 })
  t.same(points.map((point) => point.value), [2, 4, 6])
  t.same(bucketSeries(list, { field: 'missing', from: null, to: null, points: 5 }), [])
})

t.test('versions received in the same millisecond share one bucket', async (t) => {
  const list = metas(10, (i) => ({ n: i })).map((meta) => ({ ...meta, receivedAt: BASE }))
  t.same(bucketSeries(list, { field: 'n', from: null, to: null, points: 3 }), [{ t: BASE, value: 9, min: 0, max: 9 }])
})

t.test('the numeric fields a series can be asked of', async (t) => {
  t.same(numericFields(metas(3, (i): Record<string, number> => (i === 1 ? { b: 1, a: 2 } : { a: 1 }))), ['a', 'b'])
})
