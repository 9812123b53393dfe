// GET /versions: the retained versions, a page at a time, newest first by default; following
// nextCursor visits each version once even while new ones are stored or old ones pruned.
// GET /versions/:id: one version, answered exactly like the latest read of section 5.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ApiError } from '../src/api-error.js'
import { receiptBounds } from '../src/history/bounds.js'
import { createCursorCodec, type CursorState } from '../src/history/cursor.js'
import { pageOfVersions } from '../src/history/pages.js'
import { requireVersion } from '../src/history/require-version.js'
import { errorResponses } from '../src/schemas/errors.js'
import { VersionParams, VersionsPage, VersionsQuery } from '../src/schemas/history.js'
import { replyWithVersion, versionViewResponses } from '../src/version-view.js'
import type { VersionMeta } from '../src/storage/types.js'

export interface VersionsRoutesOptions {
  /** Signs cursors; by default a secret derived from the write key, so a walk survives a restart. */
  cursorSecret?: Buffer | string
}

const summary = (meta: VersionMeta): { id: string, receivedAt: string, lastUpdated: string | null, size: number } =>
  ({ id: meta.id, receivedAt: new Date(meta.receivedAt).toISOString(), lastUpdated: meta.lastUpdated, size: meta.size })

function badCursor (message: string): ApiError {
  return new ApiError(400, 'INVALID_CURSOR', message, { suggestion: 'start the walk again without a cursor' })
}

export default async function versionsRoutes (fastify: FastifyInstance, options: VersionsRoutesOptions): Promise<void> {
  const codec = createCursorCodec(options.cursorSecret ?? fastify.deriveSecret('cursor'))
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.get('/versions', {
    schema: {
      summary: 'List retained versions, a page at a time',
      tags: ['history'],
      querystring: VersionsQuery,
      response: { 200: VersionsPage, ...errorResponses(400, 401, 429, 500) }
    }
  }, async (request) => {
    const { limit, cursor } = request.query
    const bounds = receiptBounds(request.query)
    let state: Omit<CursorState, 'after'> & { after: string | null } = { order: request.query.order ?? 'desc', ...bounds, after: null }
    if (cursor !== undefined) {
      const decoded = codec.decode(cursor)
      if (decoded === null) throw badCursor('cursor is not one this service made, or it was changed')
      const asked: Array<[string, unknown, unknown]> = [
        ['order', request.query.order, decoded.order],
        ['from', bounds.from ?? undefined, decoded.from ?? undefined],
        ['to', bounds.to ?? undefined, decoded.to ?? undefined]
      ]
      const changed = asked.find(([, given, carried]) => given !== undefined && given !== carried)
      if (changed !== undefined) throw badCursor(`${changed[0]} differs from the one the cursor was made for`)
      state = decoded
    }
    const page = pageOfVersions(fastify.store.list(), { ...state, limit })
    const last = page.items[page.items.length - 1]
    return {
      items: page.items.map(summary),
      nextCursor: page.more && last !== undefined ? codec.encode({ ...state, after: last.id }) : null,
      total: page.total
    }
  })

  app.get('/versions/:id', {
    schema: {
      summary: 'Read one version, as the latest read answers it',
      tags: ['history'],
      params: VersionParams,
      response: versionViewResponses(400, 401, 404, 410, 429, 500, 503)
    }
  }, async (request, reply) => {
    const version = await requireVersion(fastify.store, request.params.id, 'params.id')
    return replyWithVersion(request, reply, version)
  })
}
