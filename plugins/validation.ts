// Two validators: request bodies are checked as sent (no coercion, no fields silently dropped, so
// `"47"` is not a number and an unknown field is refused), while query strings and params, which
// are always text on the wire, are coerced to the types their schemas declare.
import fp from 'fastify-plugin'
import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifyInstance } from 'fastify'

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

function makeAjv (options: Options): Ajv {
  // addUsedSchema: false lets one schema with an $id be compiled for several routes.
  const ajv = new Ajv({ allErrors: false, useDefaults: true, removeAdditional: false, addUsedSchema: false, ...options })
  addFormats(ajv)
  ajv.addKeyword('example') // an OpenAPI annotation, not a constraint
  return ajv
}

async function validation (fastify: FastifyInstance): Promise<void> {
  const strict = makeAjv({ coerceTypes: false })
  const coercing = makeAjv({ coerceTypes: 'array' })
  fastify.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema))
}

export default fp(validation, { name: 'validation' })
