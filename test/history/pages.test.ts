import t from 'tap'
import { pageOfVersions, type PageQuery } from '../../src/history/pages.js'
import type { VersionMeta } from '../../src/storage/types.js'
import { BASE, metas, MINUTE } from './fixtures.js'

const ids = (list: readonly VersionMeta[]): string[] => list.map((meta) => meta.id)
const first: PageQuery = { limit: 3, order: 'desc', from: null, to: null, after: null }

/** Follows pages to the end, as a client following nextCursor does. */
function walk (list: () => readonly VersionMeta[], query: PageQuery, between: () => void = () => {}): string[] {
  const seen: string[] = []
  let after: string | null = null
  for (let guard = 0; guard < 1000; guard++) {
    const page = pageOfVersions(list(), { ...query, after })
    seen.push(...ids(page.items))
    if (!page.more) return seen
    after = (page.items[page.items.length - 1] as VersionMeta).id
    between()
  }
  throw new Error('the walk does not end')
}

t.test('pages run newest first by default and oldest first on request', async (t) => {
  const list = metas(10)
  const page = pageOfVersions(list, first)
  t.same(ids(page.items), ids(list.slice(7)).reverse())
  t.equal(page.total, 10)
  t.equal(page.more, true)
  t.same(walk(() => list, first), ids(list).reverse())
  t.same(walk(() => list, { ...first, order: 'asc' }), ids(list))
})

t.test('the last page says there is no more', async (t) => {
  const list = metas(6)
  const page = pageOfVersions(list, { ...first, after: list[3]?.id ?? null })
  t.same(ids(page.items), ids(list.slice(0, 3)).reverse())
  t.equal(page.more, false)
  t.same(pageOfVersions([], first), { items: [], total: 0, more: false })
})

t.test('from and to include their ends and set the total', async (t) => {
  const list = metas(10)
  const query = { ...first, order: 'asc' as const, from: BASE + 2 * MINUTE, to: BASE + 6 * MINUTE }
  t.same(walk(() => list, query), ids(list.slice(2, 7)))
  t.equal(pageOfVersions(list, query).total, 5)
  t.equal(pageOfVersions(list, { ...query, from: BASE + 7 * MINUTE }).total, 0)
})

t.test('a walk sees every version once while new ones arrive and old ones are pruned', async (t) => {
  for (const order of ['asc', 'desc'] as const) {
    let list = metas(20)
    const present = new Set(ids(list))
    const pruned = new Set<string>()
    const arrived = new Set<string>()
    let next = 20
    const seen = walk(() => list, { ...first, order }, () => {
      // Two new versions, and the oldest one goes, between every two pages.
      const added = metas(next + 2).slice(next)
      next += 2
      for (const meta of added) arrived.add(meta.id)
      const gone = list[0] as VersionMeta
      pruned.add(gone.id)
      list = [...list.slice(1), ...added]
    })
    t.equal(new Set(seen).size, seen.length, `${order}: nothing twice`)
    const stillThere = [...present].filter((id) => !pruned.has(id))
    t.ok(stillThere.every((id) => seen.includes(id)), `${order}: every version retained throughout is seen`)
    if (order === 'asc') t.ok([...arrived].every((id) => seen.includes(id)), 'asc: the new ones are seen too')
  }
})

t.test('a position whose version was pruned still works', async (t) => {
  const list = metas(10)
  const without = list.filter((_, index) => index !== 4)
  t.same(ids(pageOfVersions(without, { ...first, after: list[4]?.id ?? null }).items), ids(list.slice(1, 4)).reverse())
  t.same(ids(pageOfVersions(without, { ...first, order: 'asc', after: list[4]?.id ?? null }).items), ids(list.slice(5, 8)))
})
