// Runs processes under strace and reads its output back as a list of system calls in the order
// they happened, with the file each descriptor named (`-y`), so tests can check the order of
// fsync, rename and unlink on a real process, and kill it at a chosen call.
import { execFileSync } from 'node:child_process'
import { dirname } from 'node:path'

/** The calls that make a write durable or visible, and the writes that answer a client. */
export const TRACED = 'openat,write,writev,pwrite64,fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat'

export function stracePath (): string | null {
  try {
    return execFileSync('which', ['strace'], { encoding: 'utf8' }).trim() || null
  } catch {
    return null
  }
}

/** Why strace cannot trace here, or null when it can. */
export function straceMissing (): string | null {
  if (stracePath() === null) return 'strace is not installed (CI installs it with apt-get)'
  try {
    execFileSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync', 'true'], { stdio: 'ignore' })
    return null
  } catch {
    return 'strace cannot trace here (ptrace is not permitted)'
  }
}

/** The strace command line that writes every traced call, with file names and whole strings, to `output`. */
export function traceArgs (output: string, extra: string[] = []): string[] {
  return ['strace', '-f', '-qq', '-y', '-s', '65536', '-o', output, '-e', `trace=${TRACED}`, ...extra]
}

export interface Call {
  tid: number
  name: string
  /** Everything between the parentheses (for a call that was interrupted, the part before). */
  args: string
  /** `0`, `-1 ENOSPC (...)`, or null when the process died inside the call (strace's `= ?`). */
  result: string | null
  /** Line of the trace where the call began, and where it returned. */
  start: number
  end: number
}

export function parseTrace (text: string): Call[] {
  const calls: Call[] = []
  const open = new Map<number, Call>()
  text.split('\n').forEach((line, index) => {
    const head = /^(\d+)\s+(.*)$/.exec(line)
    if (head === null) return
    const tid = Number(head[1])
    const rest = head[2] as string
    const resumed = /^<\.\.\. (\w+) resumed>(.*?)\)\s+= (.*)$/.exec(rest)
    if (resumed !== null) {
      const call = open.get(tid)
      if (call === undefined) return
      open.delete(tid)
      call.args += resumed[2] as string
      call.result = resumed[3] === '?' ? null : resumed[3] as string
      call.end = index
      return
    }
    const unfinished = /^(\w+)\((.*) <unfinished \.\.\.>$/.exec(rest)
    if (unfinished !== null) {
      const call: Call = { tid, name: unfinished[1] as string, args: unfinished[2] as string, result: null, start: index, end: index }
      open.set(tid, call)
      calls.push(call)
      return
    }
    const whole = /^(\w+)\((.*)\)\s+= (.*)$/.exec(rest)
    if (whole !== null) {
      // `= ?`: the process died in the call (a SIGKILL injected at its entry).
      const result = whole[3] === '?' ? null : whole[3] as string
      calls.push({ tid, name: whole[1] as string, args: whole[2] as string, result, start: index, end: index })
    }
  })
  calls.sort((a, b) => a.start - b.start)
  return calls
}

const ok = (call: Call): boolean => call.result !== null && /^\d/.test(call.result)
const isFsync = (call: Call): boolean => call.name === 'fsync' || call.name === 'fdatasync'
const isRename = (call: Call): boolean => call.name.startsWith('rename')
/** The file a call's first descriptor names (`18</data/x.json>`). */
export const fdPath = (call: Call): string | null => /^\d+<([^>]*)>/.exec(call.args)?.[1] ?? null
/** The quoted paths of a call, in order (rename: source, target). */
export const quotedPaths = (call: Call): string[] => [...call.args.matchAll(/"([^"]*)"/g)].map((match) => match[1] as string)

/** A C-style string of strace, unescaped. */
export function unescape (text: string): string {
  return text.replace(/\\(x[0-9a-f]{2}|[0-7]{1,3}|.)/g, (_, code: string) => {
    if (code.startsWith('x')) return String.fromCharCode(parseInt(code.slice(1), 16))
    if (/^[0-7]/.test(code)) return String.fromCharCode(parseInt(code, 8))
    return ({ n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' } as Record<string, string>)[code] ?? code
  })
}

/** What a write call wrote, unescaped (for writev, every buffer). */
export function written (call: Call): string {
  return [...call.args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => unescape(match[1] as string)).join('')
}

export interface DurableReplace {
  rename: Call
  fsyncTemp: Call
  fsyncDir: Call
}

/**
 * Finds the replacement of `finalPath` that was made durable before line `before`: a rename to it
 * (from a temporary file whose content was fsynced first), then an fsync of its directory, all
 * done before `before`. `after` bounds where the rename may begin. Returns a reason when none is.
 */
export function durableReplace (calls: readonly Call[], finalPath: string, before: number, after = -1, source?: (path: string) => boolean): DurableReplace | string {
  const renames = calls.filter((call) => isRename(call) && ok(call) && quotedPaths(call)[1] === finalPath &&
    call.start > after && call.end < before && (source === undefined || source(quotedPaths(call)[0] as string)))
  if (renames.length === 0) return `no rename to ${finalPath} between lines ${after} and ${before}`
  const reasons: string[] = []
  // The latest qualifying rename is the one the answer relies on.
  for (const rename of renames.reverse()) {
    const temp = quotedPaths(rename)[0] as string
    const fsyncTemp = calls.find((call) => isFsync(call) && ok(call) && fdPath(call) === temp && call.end < rename.start &&
      !calls.some((other) => isRename(other) && quotedPaths(other)[0] === temp && other.start > call.end && other.start < rename.start))
    if (fsyncTemp === undefined) {
      reasons.push(`rename ${temp} -> ${finalPath} (line ${rename.start}) without an fsync of ${temp} before it`)
      continue
    }
    const fsyncDir = calls.find((call) => isFsync(call) && ok(call) && fdPath(call) === dirname(finalPath) && call.start > rename.end && call.end < before)
    if (fsyncDir === undefined) {
      reasons.push(`rename ${temp} -> ${finalPath} (line ${rename.start}) without an fsync of ${dirname(finalPath)} after it and before line ${before}`)
      continue
    }
    return { rename, fsyncTemp, fsyncDir }
  }
  return reasons.join('; ')
}

/** The first call that wrote `needle` to a descriptor matching `target` (stdout, a socket). */
export function firstWriteOf (calls: readonly Call[], needle: string, target: (call: Call) => boolean): Call | undefined {
  return calls.find((call) => ['write', 'writev'].includes(call.name) && target(call) && written(call).includes(needle))
}

/** A write to standard output, whatever it is connected to. */
export const toStdout = (call: Call): boolean => call.args.startsWith('1<')

export const isUnlink = (call: Call): boolean => call.name === 'unlink' || call.name === 'unlinkat'
