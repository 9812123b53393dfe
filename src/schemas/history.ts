// TypeBox schemas of the history API (contract section 6): query strings, params and the 200
// bodies. Errors use the envelope of ./errors.ts. Examples feed the OpenAPI document at /docs.
import { Type, type Static } from '@sinclair/typebox'

const EXAMPLE_ID = '2026-01-25T16-32-31-ca7d685a'
const EXAMPLE_ID_2 = '2026-01-25T16-37-30-ca7d685b'

/** Shape only; whether it names a real time is checked in the handler (isVersionId). */
export const VersionId = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-[0-9a-f]{8}$',
  description: 'a version id: the file name without .json',
  example: EXAMPLE_ID
})

const Time = (description: string, example: string) => Type.String({ format: 'date-time', description, example })

export const ReceiptBounds = {
  from: Type.Optional(Time('only versions received at or after this time (ISO 8601)', '2026-01-25T00:00:00Z')),
  to: Type.Optional(Time('only versions received at or before this time (ISO 8601)', '2026-01-26T00:00:00Z'))
}

export const VersionsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'versions per page' }),
  cursor: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 1000,
    description: 'nextCursor of the page before; it carries order, from and to, which may be repeated but not changed'
  })),
  ...ReceiptBounds,
  // No schema default: a default would contradict the order an asc cursor carries.
  order: Type.Optional(Type.Union([Type.Literal('desc'), Type.Literal('asc')], { description: 'by receipt: desc (newest first, the default) or asc' }))
}, { description: 'other parameters (cache busters) are ignored, as by the latest read' })
export type VersionsQuery = Static<typeof VersionsQuery>

export const VersionSummary = Type.Object({
  id: VersionId,
  receivedAt: Time('when the service received it', '2026-01-25T16:32:31.412Z'),
  lastUpdated: Type.Union([Type.String(), Type.Null()], { description: "the payload's lastUpdated, as sent", example: '2026-01-25T16:32:29.000Z' }),
  size: Type.Integer({ minimum: 0, description: 'bytes stored', example: 312 })
})

export const VersionsPage = Type.Object({
  items: Type.Array(VersionSummary),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next page; null on the last page' }),
  total: Type.Integer({ minimum: 0, description: 'retained versions within from/to, over all pages', example: 100 })
}, { description: 'one page of retained versions' })

export const VersionParams = Type.Object({ id: VersionId })
export type VersionParams = Static<typeof VersionParams>

export const DiffQuery = Type.Object({
  from: VersionId,
  to: VersionId
})
export type DiffQuery = Static<typeof DiffQuery>

export const PatchOperation = Type.Object({
  op: Type.Union(['add', 'remove', 'replace', 'move', 'copy', 'test'].map((op) => Type.Literal(op))),
  path: Type.String({ description: 'JSON Pointer', example: '/currentSession/percentageUsed' }),
  from: Type.Optional(Type.String()),
  value: Type.Optional(Type.Unknown())
})

export const Diff = Type.Object({
  from: VersionId,
  to: VersionId,
  patch: Type.Array(PatchOperation, {
    description: 'RFC 6902 operations that turn the first payload into the second',
    example: [{ op: 'replace', path: '/currentSession/percentageUsed', value: 52 }]
  })
}, { description: 'what changed between two versions', example: { from: EXAMPLE_ID, to: EXAMPLE_ID_2, patch: [{ op: 'replace', path: '/currentSession/percentageUsed', value: 52 }] } })

export const SeriesQuery = Type.Object({
  field: Type.String({
    pattern: '^[A-Za-z0-9_$]+(\\.[A-Za-z0-9_$]+)*$',
    maxLength: 200,
    description: 'a numeric field by dot path',
    example: 'weeklyLimits.allModels.percentageUsed'
  }),
  ...ReceiptBounds,
  points: Type.Integer({ minimum: 1, maximum: 10_000, default: 200, description: 'the most buckets to return' })
})
export type SeriesQuery = Static<typeof SeriesQuery>

export const Series = Type.Object({
  field: Type.String({ example: 'weeklyLimits.allModels.percentageUsed' }),
  points: Type.Array(Type.Object({
    t: Time("receipt time of the bucket's last version", '2026-01-25T16:32:31.412Z'),
    value: Type.Number({ description: "the bucket's last value", example: 31 }),
    min: Type.Number({ example: 30 }),
    max: Type.Number({ example: 33 })
  }), { description: 'oldest first' })
}, { description: 'a numeric field over time, at most `points` buckets of equal time width' })

export const Metadata = Type.Object({
  versionCount: Type.Integer({ minimum: 0, example: 100 }),
  oldestTimestamp: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  newestTimestamp: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastCleanup: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  totalVersionsCreated: Type.Integer({ minimum: 0, example: 2016 }),
  totalVersionsDeleted: Type.Integer({ minimum: 0, example: 1916 }),
  retention: Type.Object({
    maxVersions: Type.Integer({ minimum: 1, example: 100, description: 'RETENTION_MAX_VERSIONS' }),
    days: Type.Number({ minimum: 0, example: 7, description: 'RETENTION_DAYS' })
  }),
  bytesOnDisk: Type.Integer({ minimum: 0, description: 'bytes the retained versions take', example: 31200 }),
  oldestId: Type.Union([VersionId, Type.Null()]),
  newestId: Type.Union([VersionId, Type.Null()])
}, { description: 'the storage statistics and the retention policy' })

const KeepReason = Type.Union([Type.Literal('newest'), Type.Literal('last-N'), Type.Literal('within-D-days')])

export const RetentionReport = Type.Object({
  policy: Type.Object({
    maxVersions: Type.Integer({ minimum: 1, example: 100 }),
    days: Type.Number({ minimum: 0, example: 7 })
  }),
  evaluatedAt: Time('the time the plan was made for', '2026-01-25T16:40:00.000Z'),
  keptCount: Type.Integer({ minimum: 0, example: 100 }),
  deletedCount: Type.Integer({ minimum: 0, example: 1 }),
  deleted: Type.Array(VersionId, { description: 'ids a clean-up now would delete, oldest first' }),
  kept: Type.Array(Type.Object({
    id: VersionId,
    reasons: Type.Array(KeepReason, { minItems: 1, example: ['last-N', 'within-D-days'] })
  }), { description: 'versions a clean-up now would keep, oldest first, with the rules that keep each' })
}, { description: 'a retention dry run: nothing is deleted' })

export const RetentionQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'versions per page (deleted and kept together)' }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'nextCursor of the page before' }))
}, { description: 'other parameters (cache busters) are ignored' })
export type RetentionQuery = Static<typeof RetentionQuery>

export const RetentionPage = Type.Object({
  ...RetentionReport.properties,
  deleted: Type.Array(VersionId, { description: 'ids of this page that a clean-up now would delete, oldest first' }),
  kept: Type.Array(Type.Object({
    id: VersionId,
    reasons: Type.Array(KeepReason, { minItems: 1, example: ['last-N', 'within-D-days'] })
  }), { description: 'versions of this page that a clean-up now would keep, oldest first, with the rules that keep each' }),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next page; null on the last page' })
}, { description: 'a retention dry run, a page of versions at a time (keptCount and deletedCount are over all of them): nothing is deleted' })

export const CleanupResult = Type.Object({
  deleted: Type.Integer({ minimum: 0, example: 3 }),
  kept: Type.Integer({ minimum: 0, example: 100 }),
  durationMs: Type.Number({ minimum: 0, example: 4.2 })
}, { description: 'what the clean-up did' })

export const EventsHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({
    maxLength: 200,
    description: 'the id of the last version event received; the stream replays what came after it'
  }))
})
