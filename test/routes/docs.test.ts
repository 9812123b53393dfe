import t from 'tap'
import SwaggerParser from '@apidevtools/swagger-parser'
import { build } from '../helper.js'

interface OpenApi {
  openapi: string
  paths: Record<string, Record<string, { responses: Record<string, unknown>, parameters?: Array<{ name: string, in: string }> }>>
}

/** Every route of the contract's sections 5 and 6, as OpenAPI names them. */
const CONTRACT_ROUTES = [
  'post /api/claude/console-usage',
  'get /api/claude/console-usage',
  'get /health',
  'get /api/health',
  'get /api/claude/console-usage/versions',
  'get /api/claude/console-usage/versions/{id}',
  'get /api/claude/console-usage/diff',
  'get /api/claude/console-usage/series',
  'get /api/claude/console-usage/metadata',
  'get /api/claude/console-usage/retention',
  'post /api/claude/console-usage/cleanup',
  'get /api/claude/console-usage/events',
  'post /api/claude/console-usage/trigger',
  'get /api/claude/console-usage/refresh-requests'
]

t.test('GET /docs/json is a valid OpenAPI 3 document with every route of the contract', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const document = res.json<OpenApi>()
  t.match(document.openapi, /^3\./)
  // validate() dereferences in place: give it a copy, and keep the document as served.
  await t.resolves(SwaggerParser.validate(structuredClone(document) as never), 'swagger-parser finds no error')

  const listed = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`))
  for (const route of CONTRACT_ROUTES) t.ok(listed.includes(route), `lists ${route}`)

  const versions = document.paths['/api/claude/console-usage/versions']?.get
  t.same(versions?.parameters?.map((parameter) => parameter.name).sort(), ['cursor', 'from', 'limit', 'order', 'to'], 'query parameters are documented')
  t.same(Object.keys(versions?.responses ?? {}).sort(), ['200', '400', '401', '429', '500'])
  const byId = document.paths['/api/claude/console-usage/versions/{id}']?.get
  t.ok(byId?.responses['410'], 'the 410 of a pruned version is documented')
  t.notOk(document.paths['/docs/json'], 'the documentation routes themselves are not listed')

  const trigger = document.paths['/api/claude/console-usage/trigger']?.post
  t.same(Object.keys(trigger?.responses ?? {}).sort(), ['200', '202', '400', '401', '429', '500', '503'], 'the trigger\'s answers are documented')
  t.same(trigger?.parameters?.map((parameter) => parameter.name), ['wait'])
  // The read view names the versions it carried sections over from (partial scrapes).
  for (const path of ['/api/claude/console-usage', '/api/claude/console-usage/versions/{id}']) {
    t.match(JSON.stringify(document.paths[path]?.get?.responses['200']), /"carriedOver":\{[^}]*"weeklyLimits\.sonnetOnly"/, `${path}: versionInfo.carriedOver is documented`)
  }
})

t.test('GET /docs serves the Swagger UI page', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs' })
  // The UI may redirect to its index page first.
  const page = res.statusCode === 302 ? await app.inject({ method: 'GET', url: res.headers.location as string }) : res
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.match(page.body, /swagger/i)
})
