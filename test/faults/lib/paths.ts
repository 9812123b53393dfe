// Where the fault suite finds the built service and its helper processes. The suite runs them as
// real processes on real folders, so it needs the build (`npm test` builds first).
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const SERVER_JS = join(ROOT, 'dist/src/server.js')
export const WRITER_MJS = join(ROOT, 'test/faults/fixtures/writer.mjs')
const STORE_JS = join(ROOT, 'dist/src/storage/index.js')

/** Why the process tests cannot run here, or null when they can. */
export function missingBuild (): string | null {
  for (const file of [SERVER_JS, STORE_JS]) {
    if (!existsSync(file)) return `${file} is missing: run \`npx tsc -p tsconfig.build.json\` first`
  }
  return null
}
