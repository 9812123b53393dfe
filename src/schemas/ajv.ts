// The one way this service builds a JSON Schema validator: formats (date-time) known, OpenAPI
// annotations accepted, defaults filled in. plugins/validation.ts builds the request validators
// with it; src/schemas/payload.ts checks a snapshot outside any request (the command line's import).
import { Ajv, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

export function makeAjv (options: Options): Ajv {
  // addUsedSchema: false lets one schema with an $id be compiled for several routes.
  const ajv = new Ajv({ allErrors: false, useDefaults: true, removeAdditional: false, addUsedSchema: false, ...options })
  addFormats(ajv)
  ajv.addKeyword('example') // an OpenAPI annotation, not a constraint
  return ajv
}
