// TypeBox schemas of the forecast (contract section 9): its query string and its 200 body, which
// matches the `Forecast` that src/insights/forecast.ts computes.
import { Type, type Static } from '@sinclair/typebox'

const Time = (description: string, example: string) => Type.String({ format: 'date-time', description, example })
const OrNull = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Number> | ReturnType<typeof Type.Boolean>>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description })

export const ForecastQuery = Type.Object({
  at: Type.Optional(Time('answer as the service would have then, from the versions received up to this time (ISO 8601)', '2026-01-25T16:00:00Z')),
  resets: Type.Boolean({ default: false, description: 'also list when each limit was seen to reset (the page marks them on its chart)' })
}, { description: 'other parameters (cache busters) are ignored' })
export type ForecastQuery = Static<typeof ForecastQuery>

export const Limit = Type.Object({
  percentageUsed: Type.Number({ description: 'the newest real (not missing) value of this limit', example: 62 }),
  asOf: Time('receipt time of the version that value comes from', '2026-01-25T16:32:31.412Z'),
  resetsIn: Type.String({ description: 'its reset text, as sent', example: '2 hr 42 min' }),
  resetsAt: OrNull(Type.String({ format: 'date-time' }), 'the reset as an instant; null when the text is not understood'),
  windowStart: Time('receipt time of the first version after the last reset seen (the oldest retained when none is seen)', '2026-01-25T14:00:02.100Z'),
  ratePerHour: OrNull(Type.Number(), 'percentage points per hour over the recent values of the current window; null with fewer than 3 values or under 10 minutes'),
  projectedFullAt: OrNull(Type.String({ format: 'date-time' }), 'when that pace reaches 100 %; null without a rising rate, or at 100 already'),
  hitsLimitBeforeReset: OrNull(Type.Boolean(), 'projectedFullAt < resetsAt; null when either is unknown'),
  status: Type.Union(['limit-reached', 'at-risk', 'ok', 'unknown'].map((status) => Type.Literal(status)), {
    description: 'limit-reached (at 100), at-risk (full before the reset), ok (a known pace and reset that do not fill it), unknown'
  })
}, { description: 'one limit' })

const LimitOrNull = Type.Union([Limit, Type.Null()], { description: 'null when no retained version has this limit' })
const Instants = Type.Array(Type.String({ format: 'date-time' }), { description: 'receipt times of the first version after each reset seen, oldest first' })

export const Forecast = Type.Object({
  generatedAt: Time('the time of this answer', '2026-01-25T16:35:00.000Z'),
  basedOn: Type.Union([Type.Object({
    id: Type.String({ example: '2026-01-25T16-32-31-ca7d685a' }),
    receivedAt: Type.String({ format: 'date-time' }),
    lastUpdated: Type.Union([Type.String(), Type.Null()])
  }), Type.Null()], { description: 'the newest version the answer reads; null when there is none (empty store, or `at` before the first)' }),
  limits: Type.Object({
    currentSession: LimitOrNull,
    weeklyAllModels: LimitOrNull,
    weeklySonnet: LimitOrNull
  }),
  resets: Type.Optional(Type.Object({
    currentSession: Instants,
    weeklyAllModels: Instants,
    weeklySonnet: Instants
  }, { description: 'with `resets=true` only' }))
}, { description: 'what the history says about each limit: its value, reset, pace and whether that pace fills it before the reset' })
