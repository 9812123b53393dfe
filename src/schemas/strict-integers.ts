// Integers in a query string or path, read strictly: only an optional minus sign and decimal
// digits, a safe integer, within the schema's bounds. Ajv's type coercion would take `1e400`
// (Infinity), `1.0`, `+5`, ` 5` or `0x10` as numbers and let them through; here each is refused
// with a message that names the parameter and the range it must lie in.
import type { ErrorObject, ValidateFunction } from 'ajv'

const DECIMAL_INTEGER = /^-?\d+$/

interface IntegerRule {
  name: string
  minimum: number | undefined
  maximum: number | undefined
}

/** The integer-typed properties of an object schema (the top level: query strings and params are flat). */
function integerRules (schema: unknown): IntegerRule[] {
  if (schema === null || typeof schema !== 'object') return []
  const properties = (schema as { properties?: Record<string, { type?: unknown, minimum?: unknown, maximum?: unknown }> }).properties
  if (properties === undefined) return []
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'integer')
    .map(([name, property]) => ({
      name,
      minimum: typeof property.minimum === 'number' ? property.minimum : undefined,
      maximum: typeof property.maximum === 'number' ? property.maximum : undefined
    }))
}

function rangeText ({ minimum, maximum }: IntegerRule): string {
  if (minimum !== undefined && maximum !== undefined) return `an integer in ${minimum}..${maximum}`
  if (minimum !== undefined) return `an integer of at least ${minimum}`
  if (maximum !== undefined) return `an integer of at most ${maximum}`
  return 'an integer'
}

/** The problem with one raw value, or null when it is a strict integer within bounds. */
function problemOf (rule: IntegerRule, raw: string): string | null {
  const value = DECIMAL_INTEGER.test(raw) ? Number(raw) : Number.NaN
  const inRange = Number.isSafeInteger(value) &&
    (rule.minimum === undefined || value >= rule.minimum) &&
    (rule.maximum === undefined || value <= rule.maximum)
  return inRange ? null : `must be ${rangeText(rule)}, got ${JSON.stringify(raw)}`
}

/**
 * Wraps a coercing validator so that the schema's integer properties are checked as text before
 * Ajv coerces them. Fastify reads `errors` of the function it is given, so the wrapper carries its own.
 */
export function withStrictIntegers (schema: unknown, validate: ValidateFunction): ValidateFunction {
  const rules = integerRules(schema)
  if (rules.length === 0) return validate
  const strict = ((data: unknown): boolean => {
    if (data !== null && typeof data === 'object') {
      for (const rule of rules) {
        const given: unknown = (data as Record<string, unknown>)[rule.name]
        // A repeated parameter arrives as an array; one of a single element is that element.
        const raw = Array.isArray(given) && given.length === 1 ? given[0] : given
        if (typeof raw !== 'string') continue
        const message = problemOf(rule, raw)
        if (message !== null) {
          const error: ErrorObject = { keyword: 'type', instancePath: `/${rule.name}`, schemaPath: `#/properties/${rule.name}/type`, params: { type: 'integer' }, message }
          strict.errors = [error]
          return false
        }
      }
    }
    const valid = validate(data) as boolean
    strict.errors = validate.errors ?? null
    return valid
  }) as ValidateFunction
  strict.errors = null
  return strict
}
