// Reads a data folder as an operator would, and lists what breaks the storage guarantees: damaged
// files under a version's name, leftovers of interrupted writes, statistics that disagree with the
// folder, a latest file that is not the newest version, acknowledged versions that are gone.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { canonical } from '../../../src/storage/payload.js'
import { payloadFor } from '../fixtures/payloads.mjs'

export const HISTORY = 'console-usage-history'
export const LATEST = 'console-usage-synced.json'
const VERSION_NAME = /^(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[0-9a-f]{8})\.json$/

type Parsed = Record<string, unknown> | 'missing' | 'damaged'

export interface FolderState {
  /** Version ids found, sorted. */
  ids: string[]
  payloads: Map<string, Record<string, unknown>>
  /** Version names whose file is not a JSON object. */
  damaged: string[]
  /** Temporary files of interrupted writes, in either folder. */
  leftovers: string[]
  metadata: Parsed
  latest: Parsed
  /** Files moved into `_damaged/`. */
  quarantined: string[]
}

async function parseFile (path: string): Promise<Parsed> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return 'missing'
  }
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : 'damaged'
  } catch {
    return 'damaged'
  }
}

const isLeftover = (name: string): boolean =>
  name.startsWith('.tmp-') || name.startsWith('.probe-') || (name.startsWith('.') && name.endsWith('.tmp'))

export async function readFolder (dataDir: string): Promise<FolderState> {
  const historyDir = join(dataDir, HISTORY)
  const names = await readdir(historyDir).catch(() => [] as string[])
  const dataNames = await readdir(dataDir).catch(() => [] as string[])
  const state: FolderState = {
    ids: [],
    payloads: new Map(),
    damaged: [],
    leftovers: [...names.filter(isLeftover), ...dataNames.filter(isLeftover)],
    metadata: await parseFile(join(historyDir, '_metadata.json')),
    latest: await parseFile(join(dataDir, LATEST)),
    quarantined: await readdir(join(historyDir, '_damaged')).catch(() => [] as string[])
  }
  for (const name of names.sort()) {
    const id = VERSION_NAME.exec(name)?.[1]
    if (id === undefined) continue
    const payload = await parseFile(join(historyDir, name))
    if (typeof payload === 'string') state.damaged.push(name)
    else {
      state.ids.push(id)
      state.payloads.set(id, payload)
    }
  }
  return state
}

/** `2026-01-25T16-32-31-ca7d685a` to `2026-01-25T16:32:31`, the second an ISO receipt time begins with. */
const idSecond = (id: string): string => `${id.slice(0, 10)}T${id.slice(11, 19).replaceAll('-', ':')}`

/**
 * What a crash may leave before the next start: never a damaged file under a version's name, never
 * a torn latest or statistics file.
 */
export function crashProblems (state: FolderState): string[] {
  const problems: string[] = []
  for (const name of state.damaged) problems.push(`damaged file under a version's name: ${name}`)
  if (state.metadata === 'damaged') problems.push('_metadata.json is damaged')
  if (state.latest === 'damaged') problems.push(`${LATEST} is damaged`)
  return problems
}

/** What must hold once the store has (re)started: the folder agrees with itself. */
export function consistencyProblems (state: FolderState, options: { damagedExpected?: boolean } = {}): string[] {
  const problems = crashProblems(state)
  for (const name of state.leftovers) problems.push(`leftover of an interrupted write: ${name}`)
  if (options.damagedExpected !== true && state.quarantined.length > 0) problems.push(`files were quarantined: ${state.quarantined.join(', ')}`)
  const meta = state.metadata
  if (typeof meta === 'string') {
    problems.push(`_metadata.json is ${meta}`)
  } else {
    const count = state.ids.length
    if (meta.versionCount !== count) problems.push(`_metadata.json versionCount ${String(meta.versionCount)} but ${count} version files`)
    const oldest = state.ids[0]
    const newest = state.ids[count - 1]
    const startsAt = (value: unknown, id: string | undefined): boolean =>
      id === undefined ? value === null : typeof value === 'string' && value.startsWith(idSecond(id))
    if (!startsAt(meta.oldestTimestamp, oldest)) problems.push(`oldestTimestamp ${String(meta.oldestTimestamp)} is not the receipt of ${oldest ?? 'nothing'}`)
    if (!startsAt(meta.newestTimestamp, newest)) problems.push(`newestTimestamp ${String(meta.newestTimestamp)} is not the receipt of ${newest ?? 'nothing'}`)
    const created = Number(meta.totalVersionsCreated)
    const deleted = Number(meta.totalVersionsDeleted)
    if (!(created >= count + deleted)) problems.push(`totalVersionsCreated ${created} < versionCount ${count} + totalVersionsDeleted ${deleted}`)
  }
  const newest = state.ids[state.ids.length - 1]
  if (newest !== undefined) {
    if (typeof state.latest === 'string') problems.push(`${LATEST} is ${state.latest}`)
    else if (canonical(state.latest) !== canonical(state.payloads.get(newest))) problems.push(`${LATEST} is not the newest version ${newest}`)
  }
  return problems
}

export interface Ack {
  seq: number
  id: string
}

/**
 * Every acknowledged version is there with the payload that was sent, unless retention could have
 * removed it: that takes at least `maxVersions` newer versions in the folder.
 */
export function ackProblems (state: FolderState, acks: readonly Ack[], maxVersions = Infinity): string[] {
  const problems: string[] = []
  for (const ack of acks) {
    const payload = state.payloads.get(ack.id)
    if (payload === undefined) {
      const newer = state.ids.filter((id) => id > ack.id).length
      if (newer < maxVersions) problems.push(`acknowledged version ${ack.id} (seq ${ack.seq}) is gone, with only ${newer} newer`)
    } else if (canonical(payload) !== canonical(payloadFor(ack.seq))) {
      problems.push(`acknowledged version ${ack.id} does not hold the payload of seq ${ack.seq}`)
    }
  }
  return problems
}

/**
 * The folder once the work a write set off after its answer (the clean-up) is done: read until two
 * reads 50 ms apart agree and no temporary file is left, for at most `timeoutMs`.
 */
export async function settledFolder (dataDir: string, timeoutMs = 3000): Promise<FolderState> {
  const deadline = Date.now() + timeoutMs
  const print = (state: FolderState): string => JSON.stringify([state.ids, state.metadata, state.latest, state.leftovers])
  let last = await readFolder(dataDir)
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    const next = await readFolder(dataDir)
    if ((print(next) === print(last) && next.leftovers.length === 0) || Date.now() > deadline) return next
    last = next
  }
}
