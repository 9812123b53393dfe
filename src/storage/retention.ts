// The retention policy as a pure function: a version is deleted when it is neither among the newest
// `maxVersions` nor received within `days` of now; the newest one is always kept. The clean-up and
// the dry run both ask this module, so they can never disagree.

export interface RetentionPolicy {
  maxVersions: number
  days: number
}

export type KeepReason = 'newest' | 'last-N' | 'within-D-days'

export interface RetentionCandidate {
  id: string
  receivedAt: number
}

export interface RetentionPlan {
  policy: RetentionPolicy
  kept: Array<{ id: string, reasons: KeepReason[] }>
  deleted: string[]
}

const DAY_MS = 24 * 60 * 60 * 1000

/** The rules that keep the version at `index` of `count` (oldest first); none: it is deleted. */
export function reasonsToKeep (index: number, count: number, receivedAt: number, now: number, policy: RetentionPolicy): KeepReason[] {
  const reasons: KeepReason[] = []
  if (index === count - 1) reasons.push('newest')
  if (index >= count - policy.maxVersions) reasons.push('last-N')
  if (receivedAt >= now - policy.days * DAY_MS) reasons.push('within-D-days')
  return reasons
}

/** The whole plan, with the reasons that keep each kept version. `versions` are oldest first. */
export function planRetention (versions: readonly RetentionCandidate[], now: number, policy: RetentionPolicy): RetentionPlan {
  const plan: RetentionPlan = { policy, kept: [], deleted: [] }
  versions.forEach((version, index) => {
    const reasons = reasonsToKeep(index, versions.length, version.receivedAt, now, policy)
    if (reasons.length === 0) plan.deleted.push(version.id)
    else plan.kept.push({ id: version.id, reasons })
  })
  return plan
}

/** Only the ids to delete: what a clean-up needs, without building the kept list. */
export function expiredVersions (versions: readonly RetentionCandidate[], now: number, policy: RetentionPolicy): string[] {
  const cutoff = now - policy.days * DAY_MS
  const lastCandidate = versions.length - Math.max(policy.maxVersions, 1)
  const expired: string[] = []
  for (let index = 0; index < lastCandidate; index++) {
    const version = versions[index] as RetentionCandidate
    if (version.receivedAt < cutoff) expired.push(version.id)
  }
  return expired
}
