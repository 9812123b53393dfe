// The difference between two stored payloads as RFC 6902 operations, which any JSON Patch library
// can apply to the first payload to obtain the second.
import jsonPatch, { type Operation } from 'fast-json-patch'
import type { Payload } from '../storage/types.js'

export type PatchOperation = Operation

export function diffPayloads (from: Payload, to: Payload): PatchOperation[] {
  return jsonPatch.compare(from, to)
}
