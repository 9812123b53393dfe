// Opaque cursors for walking the version list. A cursor carries the query it was made for and the
// last id it handed out, signed with an HMAC, so a client cannot forge a position or change the
// query halfway through a walk: anything altered fails verification and is answered 400.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { isVersionId } from '../storage/ids.js'

export type Order = 'asc' | 'desc'

export interface CursorState {
  order: Order
  /** The query's receipt-time bounds (epoch ms), or null when open. */
  from: number | null
  to: number | null
  /** The last id the previous page held; the next page starts after it in `order`. */
  after: string
}

/** 16 bytes of HMAC-SHA256 are plenty against guessing, and keep cursors short in URLs. */
const TAG_BYTES = 16
const VERSION = 1

export interface CursorCodec {
  encode: (state: CursorState) => string
  /** The state a cursor carries, or null when it was not made by this codec or is malformed. */
  decode: (cursor: string) => CursorState | null
}

const isBound = (value: unknown): value is number | null =>
  value === null || (typeof value === 'number' && Number.isFinite(value))

export function createCursorCodec (secret: Buffer | string): CursorCodec {
  const tag = (body: string): Buffer => createHmac('sha256', secret).update(body).digest().subarray(0, TAG_BYTES)

  const encode = (state: CursorState): string => {
    const body = Buffer.from(JSON.stringify([VERSION, state.order, state.from, state.to, state.after])).toString('base64url')
    return `${body}.${tag(body).toString('base64url')}`
  }

  const decode = (cursor: string): CursorState | null => {
    const dot = cursor.indexOf('.')
    if (dot <= 0) return null
    const body = cursor.slice(0, dot)
    const given = Buffer.from(cursor.slice(dot + 1), 'base64url')
    const expected = tag(body)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
    let fields: unknown
    try {
      fields = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
    } catch {
      return null
    }
    if (!Array.isArray(fields) || fields.length !== 5) return null
    const [version, order, from, to, after] = fields as unknown[]
    if (version !== VERSION || (order !== 'asc' && order !== 'desc') || !isBound(from) || !isBound(to)) return null
    if (typeof after !== 'string' || !isVersionId(after)) return null
    return { order, from, to, after }
  }

  return { encode, decode }
}
