// The export format: one JSON object a line, `{ id, receivedAt, payload }`, receivedAt as ISO 8601
// UTC. `export` writes it and `import` reads it back, so a backup round-trips ids and times exactly.
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import type { ImportedVersion, StoredVersion } from '../storage/index.js'
import { CliError } from './context.js'
import { importProblem } from './import-checks.js'

export function versionLine (version: StoredVersion): string {
  const { id, receivedAt } = version.meta
  return `${JSON.stringify({ id, receivedAt: new Date(receivedAt).toISOString(), payload: version.payload })}\n`
}

/** One line of an export, checked as import must (import-checks.ts); the error names the line, so a
 * hand-edited backup can be fixed. */
export function parseVersionLine (line: string, lineNumber: number, now: number = Date.now()): ImportedVersion {
  const fail = (why: string): never => { throw new CliError(`line ${lineNumber}: ${why}`) }
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return fail('not valid JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('not a JSON object')
  const { id, receivedAt, payload } = value as Record<string, unknown>
  // ISO strings are what export writes; epoch milliseconds are accepted too.
  const time = typeof receivedAt === 'string' ? Date.parse(receivedAt) : typeof receivedAt === 'number' ? receivedAt : Number.NaN
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return fail('payload is not a JSON object')
  const problem = importProblem({ id, receivedAt: time, payload }, now)
  if (problem !== null) return fail(problem)
  return { id: id as string, receivedAt: time, payload: payload as ImportedVersion['payload'] }
}

/** Every version of an NDJSON stream, read whole first so that a bad line imports nothing. */
export async function readVersionLines (input: Readable): Promise<ImportedVersion[]> {
  const versions: ImportedVersion[] = []
  let lineNumber = 0
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber++
    if (line.trim() === '') continue
    versions.push(parseVersionLine(line, lineNumber))
  }
  return versions
}
