// The baseline of the write figures: what the disk does for a plain, sequential durable write of
// the same payload in the same folder (write a temporary file, fsync it, rename it, fsync the
// folder), with the same node:fs/promises calls the store uses. The store may beat its throughput
// only by sharing fsyncs between concurrent writes; a single write cannot be faster than one cycle.
import { constants } from 'node:fs'
import { open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { median } from './stats.js'

export interface LoopResult {
  opsPerSecond: number
  /** Median duration of one cycle, ms. */
  cycleMs: number
}

async function cycle (dir: string, name: string, data: string): Promise<void> {
  const temp = join(dir, `.tmp-${name}`)
  const file = await open(temp, 'wx', 0o644)
  try {
    await file.writeFile(data, 'utf8')
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(temp, join(dir, name))
  const folder = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}

/** Runs the loop in `dir` for `durationMs`, then removes the files it wrote. */
export async function fsyncLoop (dir: string, data: string, durationMs: number): Promise<LoopResult> {
  const cycles: number[] = []
  const names: string[] = []
  const started = performance.now()
  while (performance.now() - started < durationMs) {
    const name = `_fsync-loop-${process.pid}-${names.length}.json`
    const begin = performance.now()
    await cycle(dir, name, data)
    cycles.push(performance.now() - begin)
    names.push(name)
  }
  const elapsed = performance.now() - started
  await Promise.all(names.map((name) => unlink(join(dir, name))))
  return { opsPerSecond: (cycles.length * 1000) / elapsed, cycleMs: median(cycles) }
}
