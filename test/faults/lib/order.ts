// The order of system calls that contract section 4 promises, checked on a trace: an answered
// write was fsynced, renamed and its directory fsynced before the answer left; the statistics and
// the latest file, which may follow the answer, are only ever replaced whole (a temporary file
// written, fsynced, then renamed over them), never written in place; retention removes a file only
// after statistics that no longer count it are on disk.
import { join } from 'node:path'
import { HISTORY, LATEST } from './folder.js'
import { durableReplace, fdPath, isUnlink, quotedPaths, written, type Call } from './strace.js'

const VERSION_FILE = /\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[0-9a-f]{8}\.json$/

export interface Answered {
  id: string
  /** The call that carried the answer (the writer's ACK line, the HTTP response). */
  answer: Call
}

export function saveOrderProblems (calls: readonly Call[], dataDir: string, answered: readonly Answered[]): string[] {
  const historyDir = join(dataDir, HISTORY)
  const problems: string[] = []
  for (const { id, answer } of answered) {
    const version = durableReplace(calls, join(historyDir, `${id}.json`), answer.start, -1, (source) => source.endsWith(`/.tmp-${id}.json`))
    if (typeof version === 'string') problems.push(`${id}: ${version}`)
  }
  return problems
}

const WRITES = ['write', 'writev', 'pwrite64']
const isWrite = (call: Call): boolean => WRITES.includes(call.name)

/**
 * How the statistics and the latest file were replaced, against "never seen half-written, even after
 * a power cut": each rename over them comes from a temporary file that was fsynced after its last
 * write, and neither is ever written in place. Returns the problems and the number of replacements.
 */
export function derivedReplaceProblems (calls: readonly Call[], dataDir: string): { problems: string[], replacements: number } {
  const problems: string[] = []
  let replacements = 0
  for (const file of [join(dataDir, HISTORY, '_metadata.json'), join(dataDir, LATEST)]) {
    for (const call of calls) {
      if (isWrite(call) && fdPath(call) === file) problems.push(`${file} written in place (line ${call.start})`)
      if (!call.name.startsWith('rename') || quotedPaths(call)[1] !== file || call.result === null || !/^\d/.test(call.result)) continue
      replacements++
      const temp = quotedPaths(call)[0] as string
      // The temporary file's own history since it was last renamed away (or since the start).
      const since = calls.filter((other) => other.end < call.start && other.name.startsWith('rename') && quotedPaths(other)[0] === temp)
        .reduce((latest, other) => Math.max(latest, other.end), -1)
      const ofTemp = calls.filter((other) => other.start > since && other.end < call.start && fdPath(other) === temp)
      const lastWrite = ofTemp.filter(isWrite).pop()
      if (lastWrite === undefined) problems.push(`rename ${temp} -> ${file} (line ${call.start}) of a file not written since its last rename`)
      else if (!ofTemp.some((other) => (other.name === 'fsync' || other.name === 'fdatasync') && other.start > lastWrite.end)) {
        problems.push(`rename ${temp} -> ${file} (line ${call.start}) without an fsync of ${temp} after its last write`)
      }
    }
  }
  return { problems, replacements }
}

/** The statistics a rename put in place: what was written to its source file before it. */
function statisticsRenamed (calls: readonly Call[], rename: Call): Record<string, unknown> | null {
  const source = quotedPaths(rename)[0]
  const writes = calls.filter((call) => call.end < rename.start && ['write', 'pwrite64', 'writev'].includes(call.name) &&
    call.args.startsWith(`${/^\d+/.exec(call.args)?.[0] ?? ''}<${source ?? ''}>`))
  const last = writes[writes.length - 1]
  if (last === undefined) return null
  try {
    return JSON.parse(written(last)) as Record<string, unknown>
  } catch {
    return null
  }
}

/** Counts the version files retention removed, and checks each removal came after durable statistics. */
export function retentionOrderProblems (calls: readonly Call[], dataDir: string, deletedBefore = 0): { problems: string[], unlinks: number } {
  const historyDir = join(dataDir, HISTORY)
  const metadataFile = join(historyDir, '_metadata.json')
  const problems: string[] = []
  let unlinks = 0
  for (const call of calls) {
    if (!isUnlink(call) || !VERSION_FILE.test(quotedPaths(call)[0] ?? '') || quotedPaths(call)[0]?.includes('/.tmp-') === true) continue
    unlinks++
    const replaced = durableReplace(calls, metadataFile, call.start)
    if (typeof replaced === 'string') {
      problems.push(`unlink of ${quotedPaths(call)[0] ?? '?'} (line ${call.start}) before durable statistics: ${replaced}`)
      continue
    }
    const statistics = statisticsRenamed(calls, replaced.rename)
    const deleted = Number(statistics?.totalVersionsDeleted) - deletedBefore
    if (!(deleted >= unlinks)) {
      problems.push(`unlink of ${quotedPaths(call)[0] ?? '?'} (line ${call.start}) while the statistics on disk count ${deleted} of ${unlinks} removals`)
    }
  }
  return { problems, unlinks }
}
