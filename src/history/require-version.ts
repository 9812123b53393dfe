// Finds the version a history request names, or refuses it the way the contract says: a malformed
// id 400 (before the store is asked), an id older than the oldest retained 410 VERSION_PRUNED
// (naming the oldest one), any other absent id 404.
import { ApiError } from '../api-error.js'
import { isVersionId } from '../storage/ids.js'
import type { StoredVersion, VersionStore } from '../storage/types.js'

/** Refuses an id that is not a real version id; `field` names it in the message. */
export function checkVersionId (id: string, field: string): void {
  if (!isVersionId(id)) {
    throw new ApiError(400, 'VALIDATION_ERROR', `${field} is not a version id`, {
      suggestion: 'a version id looks like 2026-01-25T16-32-31-ca7d685a; list them with GET /api/claude/console-usage/versions'
    })
  }
}

function absent (store: Pick<VersionStore, 'list'>, id: string): ApiError {
  const oldest = store.list()[0]
  if (oldest !== undefined && id < oldest.id) {
    return new ApiError(410, 'VERSION_PRUNED', `version ${id} is older than the oldest retained version and was removed by retention`, {
      suggestion: 'read oldestAvailableId or a later version',
      details: { oldestAvailableId: oldest.id }
    })
  }
  return new ApiError(404, 'NOT_FOUND', `no version ${id}`, {
    suggestion: 'list the retained versions with GET /api/claude/console-usage/versions'
  })
}

export async function requireVersion (store: Pick<VersionStore, 'list' | 'meta' | 'get'>, id: string, field: string): Promise<StoredVersion> {
  checkVersionId(id, field)
  // meta() is in memory: an unknown id never touches the disk.
  const version = store.meta(id) === null ? null : await store.get(id)
  // Asked again after the read: retention may have removed it meanwhile.
  if (version === null) throw absent(store, id)
  return version
}
