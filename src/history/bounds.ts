// The `from`/`to` receipt-time bounds of history queries: ISO strings (their format is checked by
// the schema) to epoch ms, open when absent, and refused when they enclose no time at all.
import { ApiError } from '../api-error.js'

export interface Bounds {
  from: number | null
  to: number | null
}

export function receiptBounds (query: { from?: string, to?: string }): Bounds {
  const from = query.from === undefined ? null : Date.parse(query.from)
  const to = query.to === undefined ? null : Date.parse(query.to)
  if (from !== null && to !== null && from > to) {
    throw new ApiError(400, 'VALIDATION_ERROR', 'querystring.from is after querystring.to', { suggestion: 'swap from and to' })
  }
  return { from, to }
}
