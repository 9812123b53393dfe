// GET /forecast?at&resets: each limit's value, reset time, pace and projection (contract section 9),
// computed from the numbers and reset texts the store keeps in memory; no version file is read.
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { usageTimeZone } from '../src/config.js'
import { computeForecast, lastReceivedBy } from '../src/insights/forecast.js'
import { observedResets } from '../src/insights/windows.js'
import { SECTIONS } from '../src/sections.js'
import { errorResponses } from '../src/schemas/errors.js'
import { Forecast, ForecastQuery } from '../src/schemas/forecast.js'

export default async function forecastRoutes (fastify: FastifyInstance): Promise<void> {
  const timeZone = usageTimeZone(fastify.config)
  fastify.withTypeProvider<TypeBoxTypeProvider>().get('/forecast', {
    schema: {
      summary: 'When each limit runs out at the current pace, and whether before its reset',
      tags: ['forecast'],
      querystring: ForecastQuery,
      response: { 200: Forecast, ...errorResponses(400, 401, 429, 500) }
    }
  }, async (request) => {
    const now = Date.now()
    // The schema checked the format; an `at` in the future answers as now would.
    const at = request.query.at === undefined ? now : Date.parse(request.query.at)
    const list = fastify.store.list()
    const forecast = computeForecast(list, { at, now, timeZone })
    if (!request.query.resets) return forecast
    const end = lastReceivedBy(list, at)
    const resets = Object.fromEntries(SECTIONS.map((section) => [
      section.forecastKey,
      observedResets(list, section, end, timeZone).map((index) => new Date(list[index]?.receivedAt ?? 0).toISOString())
    ])) as Record<typeof SECTIONS[number]['forecastKey'], string[]>
    return { ...forecast, resets }
  })
}
