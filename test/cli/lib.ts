// Data folders for the command-line tests, made through the CLI's own import so that each test
// starts from what an operator could have: versions with known ids and receipt times.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Test } from 'tap'
import { payload, runCli } from '../ops/lib.js'

export interface Line {
  id: string
  receivedAt: string
  payload: Record<string, unknown>
}

/** `count` versions a minute apart from `start`, with ids as the service makes them. */
export function versionLines (count: number, start = Date.UTC(2026, 0, 1)): Line[] {
  return Array.from({ length: count }, (_, n) => {
    const at = start + n * 60_000
    return {
      id: `${new Date(at).toISOString().slice(0, 19).replaceAll(':', '-')}-${(n + 0x100).toString(16).padStart(8, '0')}`,
      receivedAt: new Date(at).toISOString(),
      payload: payload(n)
    }
  })
}

export const ndjson = (lines: readonly unknown[]): string => lines.map((line) => `${JSON.stringify(line)}\n`).join('')

export async function seed (t: Test, dataDir: string, lines: readonly Line[]): Promise<void> {
  const result = await runCli(['import', '-', '--data-dir', dataDir], { input: ndjson(lines) })
  t.equal(result.code, 0, `seeded ${lines.length} versions: ${result.stderr}`)
}

export async function versionFiles (dataDir: string): Promise<string[]> {
  const names = await readdir(join(dataDir, 'console-usage-history')).catch(() => [] as string[])
  return names.filter((name) => /^\d{4}-.*\.json$/.test(name)).sort()
}
