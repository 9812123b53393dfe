// Two validators: request bodies are checked as sent (no coercion, no fields silently dropped, so
// `"47"` is not a number and an unknown field is refused), while query strings and params, which
// are always text on the wire, are coerced to the types their schemas declare. Integers among them
// are read strictly first (src/schemas/strict-integers.ts): Ajv's coercion takes `1e400`, `1.0`,
// `+5` and ` 5` as numbers.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { makeAjv } from '../src/schemas/ajv.js'
import { withStrictIntegers } from '../src/schemas/strict-integers.js'

async function validation (fastify: FastifyInstance): Promise<void> {
  const strict = makeAjv({ coerceTypes: false })
  const coercing = makeAjv({ coerceTypes: 'array' })
  fastify.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema) : withStrictIntegers(schema, coercing.compile(schema)))
}

export default fp(validation, { name: 'validation' })
