// The error envelope of the contract (section 5), which every 4xx/5xx answer under /api carries.
// Routes list it in their response schemas through `errorResponses(...)`, so the OpenAPI document
// shows each refusal and fast-json-stringify serialises it.
//
//   schema: { response: { 200: MyBody, ...errorResponses(400, 401, 404) } }
import { Type, type Static } from '@sinclair/typebox'

export const ErrorEnvelope = Type.Object({
  success: Type.Literal(false),
  statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
  errorCode: Type.String({ description: 'a stable, machine-readable code such as VALIDATION_ERROR', example: 'VALIDATION_ERROR' }),
  message: Type.String({ description: 'what went wrong; for a refused body it names the field' }),
  suggestion: Type.Optional(Type.String({ description: 'what the client can do about it' })),
  requestId: Type.String({ description: 'the X-Request-Id of the request, for the logs' }),
  timestamp: Type.String({ format: 'date-time' }),
  // Extra facts some refusals carry (e.g. 410 VERSION_PRUNED names the oldest retained version).
  oldestAvailableId: Type.Optional(Type.String()),
  validRange: Type.Optional(Type.String({ description: 'for an out-of-range parameter, the values it may take' }))
}, { description: 'error envelope', additionalProperties: true })

export type ErrorEnvelope = Static<typeof ErrorEnvelope>

/** Response schemas for the given error statuses, each the envelope: spread into `response`. */
export function errorResponses<const S extends number> (...statuses: S[]): Record<S, typeof ErrorEnvelope> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorEnvelope])) as Record<S, typeof ErrorEnvelope>
}
