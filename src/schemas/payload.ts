// The snapshot the scraper POSTs (contract section 5): strict at every level, no coercion (the
// body validator of plugins/validation.ts does not coerce), and at least one of the two usage blocks.
//
// A partial scrape names the sections it could not read in `extractionErrors` and may fill one with
// the placeholder `{ resetsIn: "", percentageUsed: 0 }`; an empty `resetsIn` is accepted only there.
// That rule spans fields, so the schema alone cannot say it: `payloadProblem` is the whole check
// (schema, then the rule), shared by the POST route and anything else that takes a snapshot in.
import { Type, type Static } from '@sinclair/typebox'
import type { ValidateFunction } from 'ajv'
import { validationMessage } from '../api-error.js'
import { SECTIONS, atPath } from '../sections.js'
import { makeAjv } from './ajv.js'

export const UsageWindow = Type.Object({
  resetsIn: Type.String({
    description: 'as the usage page says it, e.g. "2 hr 42 min"; empty only in the placeholder of a section named in extractionErrors',
    example: '2 hr 42 min'
  }),
  percentageUsed: Type.Number({ minimum: 0, maximum: 100, example: 47 })
}, { additionalProperties: false })

export const WeeklyLimits = Type.Object({
  allModels: Type.Optional(UsageWindow),
  sonnetOnly: Type.Optional(UsageWindow)
}, { additionalProperties: false, minProperties: 1, description: 'both entries, or (from a partial scrape) one of them' })

export const UsagePayload = Type.Object({
  lastUpdated: Type.String({ format: 'date-time', description: 'when the scraper read the page (ISO 8601)' }),
  currentSession: Type.Optional(UsageWindow),
  weeklyLimits: Type.Optional(WeeklyLimits),
  isPartial: Type.Optional(Type.Boolean({ description: 'true when some numbers could not be read' })),
  extractionErrors: Type.Optional(Type.Record(Type.String(), Type.String(), {
    description: 'what could not be read, by field; the keys currentSession, allModels and sonnetOnly declare that section missing',
    example: { sonnetOnly: 'section not found on the page' }
  }))
}, {
  additionalProperties: false,
  // A snapshot without any numbers is a failed scrape, not a version worth keeping.
  anyOf: [{ required: ['currentSession'] }, { required: ['weeklyLimits'] }],
  description: 'a usage snapshot'
})

export type UsagePayload = Static<typeof UsagePayload>

/** The message the schema's minLength would give, so a refused placeholder reads like any other refusal. */
const EMPTY_RESETS_IN = 'must NOT have fewer than 1 characters'

/**
 * An empty `resetsIn` in a section that `extractionErrors` does not declare missing, named as a
 * validation message (`body.weeklyLimits.sonnetOnly.resetsIn must NOT …`); null when there is none.
 * Expects a payload that passed the schema.
 */
export function placeholderProblem (payload: UsagePayload, context = 'body'): string | null {
  const declared = payload.extractionErrors ?? {}
  for (const { path, errorKey } of SECTIONS) {
    const window = atPath(payload, path) as { resetsIn?: unknown } | undefined
    if (window?.resetsIn === '' && !Object.hasOwn(declared, errorKey)) return `${context}.${path}.resetsIn ${EMPTY_RESETS_IN}`
  }
  return null
}

let validate: ValidateFunction<UsagePayload> | undefined

/**
 * Everything wrong with a snapshot, as the one sentence a 400 would carry (`context` prefixes the
 * field names: `body` for a request, e.g. `line 3 payload` for an import); null when it would be
 * accepted. Size limits are the caller's (64 KiB for a request body).
 */
export function payloadProblem (payload: unknown, context = 'body'): string | null {
  // Compiled on first use: the command line imports this module without always needing it.
  validate ??= makeAjv({ coerceTypes: false }).compile(UsagePayload)
  if (!validate(payload)) return validationMessage(validate.errors ?? [], context)
  return placeholderProblem(payload, context)
}
