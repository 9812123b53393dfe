// The snapshot the scraper POSTs (contract section 5): strict at every level, no coercion (the
// body validator of plugins/validation.ts does not coerce), and at least one of the two usage blocks.
import { Type, type Static } from '@sinclair/typebox'

export const UsageWindow = Type.Object({
  resetsIn: Type.String({ minLength: 1, description: 'as the usage page says it, e.g. "2 hr 42 min"', example: '2 hr 42 min' }),
  percentageUsed: Type.Number({ minimum: 0, maximum: 100, example: 47 })
}, { additionalProperties: false })

export const WeeklyLimits = Type.Object({
  allModels: UsageWindow,
  sonnetOnly: UsageWindow
}, { additionalProperties: false })

export const UsagePayload = Type.Object({
  lastUpdated: Type.String({ format: 'date-time', description: 'when the scraper read the page (ISO 8601)' }),
  currentSession: Type.Optional(UsageWindow),
  weeklyLimits: Type.Optional(WeeklyLimits),
  isPartial: Type.Optional(Type.Boolean({ description: 'true when some numbers could not be read' })),
  extractionErrors: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'what could not be read, by field' }))
}, {
  additionalProperties: false,
  // A snapshot without any numbers is a failed scrape, not a version worth keeping.
  anyOf: [{ required: ['currentSession'] }, { required: ['weeklyLimits'] }],
  description: 'a usage snapshot'
})

export type UsagePayload = Static<typeof UsagePayload>
