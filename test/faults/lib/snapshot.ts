// Copies of a data folder, so that each crash of a step-by-step test starts from the same state.
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export async function copyFolder (from: string, prefix = 'uv-copy-'): Promise<string> {
  const to = await mkdtemp(join(tmpdir(), prefix))
  await cp(from, to, { recursive: true, preserveTimestamps: true })
  // The lock of the process that made the template is not part of the state.
  await rm(join(to, '.lock'), { force: true })
  return to
}
