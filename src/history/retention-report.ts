// The retention dry run as users read it: the policy, the counts, the ids that would go and the
// rules that keep each other one. Built from the engine's one retention plan, so the dry run can
// never disagree with the clean-up; the HTTP route and the command line both print this shape.
import type { RetentionPlan } from '../storage/retention.js'

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
