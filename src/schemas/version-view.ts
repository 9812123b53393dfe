// The 200 body of a read (`GET /api/claude/console-usage`, and `/versions/:id` of the history API):
// the stored payload's fields, then what the widget shows about them. Lenient where the payload is
// concerned (files of the earlier server may carry fields this service never accepted), exact for
// the fields the service adds.
import { Type, type Static } from '@sinclair/typebox'
import { UsagePayload } from './payload.js'

export const VersionInfo = Type.Object({
  current: Type.Integer({ minimum: 1, description: '1-based position among the retained versions, oldest first' }),
  total: Type.Integer({ minimum: 1, description: 'how many versions are retained' }),
  timestamp: Type.String({ format: 'date-time', description: 'receipt time of this version' }),
  filename: Type.String({ example: '2026-01-25T16-32-31-ca7d685a.json' }),
  id: Type.String({ example: '2026-01-25T16-32-31-ca7d685a' }),
  carriedOver: Type.Optional(Type.Object({
    currentSession: Type.Optional(Type.String()),
    'weeklyLimits.allModels': Type.Optional(Type.String()),
    'weeklyLimits.sonnetOnly': Type.Optional(Type.String())
  }, {
    additionalProperties: false,
    description: 'present when this version is a partial scrape: each section it declares missing is shown with the newest real value from an earlier version, whose id is given here',
    example: { 'weeklyLimits.sonnetOnly': '2026-01-25T16-27-30-ca7d6859' }
  }))
})

const { lastUpdated, currentSession, weeklyLimits, isPartial, extractionErrors } = UsagePayload.properties

export const VersionView = Type.Object({
  lastUpdated: Type.Optional(lastUpdated),
  currentSession,
  weeklyLimits,
  isPartial,
  extractionErrors,
  isStale: Type.Boolean({ description: 'more than STALE_AFTER_MINUTES since lastUpdated' }),
  ageMinutes: Type.Integer({ minimum: 0, description: 'whole minutes since lastUpdated' }),
  source: Type.Literal('ec2-sync'),
  versionInfo: VersionInfo
}, { additionalProperties: true, description: 'a stored snapshot with its age and place in the history' })

export type VersionView = Static<typeof VersionView>

/** The 304 answer to a conditional read: no body. */
export const NotModified = Type.Null({ description: 'not modified since the ETag / date the client holds' })
