// One page of the version list, by keyset: a page starts right after the last id of the one before,
// found by binary search in the id-ordered list. Positions are ids, not offsets, so versions that
// arrive or are pruned between two pages never shift a walk: each version still retained is seen once.
import type { VersionMeta } from '../storage/types.js'
import type { Order } from './cursor.js'

export interface PageQuery {
  limit: number
  order: Order
  /** Inclusive receipt-time bounds, epoch ms; null when open. */
  from: number | null
  to: number | null
  /** Start after this id (in `order`); null for the first page. */
  after: string | null
}

export interface Page {
  items: VersionMeta[]
  /** How many retained versions the bounds select, on every page of the walk. */
  total: number
  /** True when versions after this page match the query. */
  more: boolean
}

/**
 * The first index of `list` at which `isPast` holds, by binary search; `isPast` must be false up
 * to some index and true from there on (as an id or receipt-time bound is over the list).
 */
export function firstIndexWhere<T> (list: readonly T[], isPast: (item: T) => boolean): number {
  let low = 0
  let high = list.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (isPast(list[middle] as T)) high = middle
    else low = middle + 1
  }
  return low
}

/** The index of the first version whose id is greater than `id` (list sorted by id). */
export function firstAfter (list: readonly VersionMeta[], id: string): number {
  return firstIndexWhere(list, (meta) => meta.id > id)
}

/** The index of the first version whose id is not less than `id`. */
export function firstAtOrAfter (list: readonly VersionMeta[], id: string): number {
  return firstIndexWhere(list, (meta) => meta.id >= id)
}

export function inBounds (meta: VersionMeta, from: number | null, to: number | null): boolean {
  return (from === null || meta.receivedAt >= from) && (to === null || meta.receivedAt <= to)
}

/** `list` is oldest first and sorted by id, as the store keeps it. */
export function pageOfVersions (list: readonly VersionMeta[], query: PageQuery): Page {
  const { limit, order, from, to, after } = query
  const matches = (meta: VersionMeta): boolean => inBounds(meta, from, to)
  // Receipt times need not follow ids for imported versions, so bounds are checked one by one.
  let total = 0
  for (const meta of list) if (matches(meta)) total++

  const items: VersionMeta[] = []
  let more = false
  const step = order === 'asc' ? 1 : -1
  let index = order === 'asc'
    ? (after === null ? 0 : firstAfter(list, after))
    : (after === null ? list.length - 1 : firstAtOrAfter(list, after) - 1)
  for (; index >= 0 && index < list.length; index += step) {
    const meta = list[index] as VersionMeta
    if (!matches(meta)) continue
    if (items.length === limit) {
      more = true
      break
    }
    items.push(meta)
  }
  return { items, total, more }
}
