// The retention dry run as users read it: the policy, the counts, the ids that would go and the
// rules that keep each other one. Built from the engine's one retention plan, so the dry run can
// never disagree with the clean-up; the HTTP route and the command line both print this shape.
import { expiredVersions, reasonsToKeep, type RetentionPlan, type RetentionPolicy } from '../storage/retention.js'
import type { VersionMeta } from '../storage/types.js'
import { firstAfter } from './pages.js'

export interface RetentionReport {
  policy: RetentionPlan['policy']
  /** The time the plan was made for (ISO): "within D days" counts back from it. */
  evaluatedAt: string
  keptCount: number
  deletedCount: number
  /** Ids a clean-up now would delete, oldest first. */
  deleted: string[]
  /** Every version a clean-up now would keep, oldest first, with the rules that keep it. */
  kept: RetentionPlan['kept']
}

export function retentionReport (plan: RetentionPlan, now: number): RetentionReport {
  return {
    policy: plan.policy,
    evaluatedAt: new Date(now).toISOString(),
    keptCount: plan.kept.length,
    deletedCount: plan.deleted.length,
    deleted: plan.deleted,
    kept: plan.kept
  }
}

export interface RetentionPageQuery {
  /** Versions per page. */
  limit: number
  /** Start after this id (oldest first); null for the first page. */
  after: string | null
}

/**
 * One page of the dry run, as GET /retention answers it: the counts over every version, and the
 * ids deleted and kept among the next `limit` versions (oldest first) after `after`. The page is
 * found by binary search and only its versions are described, so a page of 100,000 versions costs
 * what a page of 100 does, bar one pass that counts the deleted.
 */
export function retentionPage (list: readonly VersionMeta[], now: number, policy: RetentionPolicy, query: RetentionPageQuery): RetentionReport & { nextAfter: string | null } {
  const deletedCount = expiredVersions(list, now, policy).length
  const start = query.after === null ? 0 : firstAfter(list, query.after)
  const end = Math.min(list.length, start + query.limit)
  const deleted: string[] = []
  const kept: RetentionPlan['kept'] = []
  for (let index = start; index < end; index++) {
    const meta = list[index] as VersionMeta
    const reasons = reasonsToKeep(index, list.length, meta.receivedAt, now, policy)
    if (reasons.length === 0) deleted.push(meta.id)
    else kept.push({ id: meta.id, reasons })
  }
  return {
    policy,
    evaluatedAt: new Date(now).toISOString(),
    keptCount: list.length - deletedCount,
    deletedCount,
    deleted,
    kept,
    // Where the next page starts; null on the last page.
    nextAfter: end < list.length ? (list[end - 1] as VersionMeta).id : null
  }
}
