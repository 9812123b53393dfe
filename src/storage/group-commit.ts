// Group commit, for any store: concurrent saves are collected and handed to the store's commit
// function a batch at a time, so many saves share one commit's flushes. Knows nothing of files or
// databases; a store supplies two functions and keeps its own state.
//
// The API (stable; the folder store and the PostgreSQL store both build on it):
//
//   const pipeline = createGroupCommit<W>({ latest, admit, commit, log })
//
//   latest()          the newest committed version, or null: a save whose payload equals it (or
//                     equals the newest save accepted but not yet committed) stores nothing and is
//                     answered with that version, `duplicate: true`, once that version is durable.
//   admit(payload, key)  called once per new save, synchronously and in arrival order, with the
//                     payload's canonical form (what duplicates are compared by): stamps it
//                     (`id`, which must grow with each call), keeps what the commit will need
//                     (`work`, the store's own type W) and may begin work the save can do alone
//                     (`started`: the folder store writes and fsyncs its version file). A rejected
//                     `started` answers that save with its error at once.
//   commit(batch)     makes a batch durable and returns the metadata of each save it stored, in
//                     any order; saves it does not return are answered as not stored. Runs one
//                     batch at a time and never beside a task of `exclusively`; the batch is in
//                     id order and may hold saves whose `ready` is still pending (true once
//                     `started` succeeded, false once it failed). A rejection answers every save
//                     of the batch not yet answered with that error; the commit must then have
//                     stored none of them.
//
//   A store whose ids and duplicates are decided inside its commit (the PostgreSQL store: another
//   instance may have stored versions since this one last looked) passes `duplicates: 'commit'`:
//   then no save is answered from `latest()` or the tail, `admit`'s `id` is only a key for the save
//   (growing all the same), and the commit returns a `CommitOutcome` per save it answers, naming the
//   save by that key and giving the version it stored or found equal to the latest.
//
//   pipeline.save(payload)        resolves once durable, with { version, duplicate }; rejects with
//                                 a StorageError (storage failures are logged here).
//   pipeline.exclusively(task)    runs `task` alone: never beside a commit or another such task
//                                 (clean-ups, imports, quarantines change what a commit counts).
//   pipeline.resetDuplicateCheck()  after the newest version changed outside a save (an import),
//                                 compares the next save with `latest()` again.
//   pipeline.drain()              resolves once every save accepted so far is answered and no
//                                 task is running: a store calls it on close, after refusing
//                                 new saves.
//
// A save is answered when the commit holding it has returned, so `latest()` and the store's lists
// must already show the batch by then. Saves arriving during a commit wait for it and form the next
// batch together; that batch is handed over once its oldest save is `ready`, with every save that
// arrived until then.
import { storageFailure } from './errors.js'
import type { StoreLog } from './log.js'
import { canonical } from './payload.js'
import type { Payload, SaveResult, StoredVersion, VersionMeta } from './types.js'

/** What a store makes of one save as it arrives. */
export interface Admitted<W> {
  id: string
  work: W
  started?: Promise<void>
}

/** One save as the store's commit sees it. */
export interface PendingSave<W> {
  readonly id: string
  readonly payload: Payload
  readonly work: W
  /** Settles, never rejects: true once `started` succeeded (or there was none), false once it failed. */
  readonly ready: Promise<boolean>
}

/** A commit's answer to one save when the commit decides ids and duplicates (`duplicates: 'commit'`). */
export interface CommitOutcome {
  /** The save's key, as `admit` gave it. */
  id: string
  version: VersionMeta
  duplicate: boolean
}

export interface GroupCommitOptions<W> {
  latest: () => StoredVersion | null
  /** `key` is canonical(payload), made once per save. */
  admit: (payload: Payload, key: string) => Admitted<W>
  commit: (batch: ReadonlyArray<PendingSave<W>>) => Promise<ReadonlyArray<VersionMeta | CommitOutcome>>
  log: StoreLog
  /** Who recognises a duplicate of the latest: the pipeline, from memory (the default), or the commit. */
  duplicates?: 'pipeline' | 'commit'
}

export interface GroupCommit {
  save: (payload: Payload) => Promise<SaveResult>
  exclusively: <T>(task: () => Promise<T>) => Promise<T>
  resetDuplicateCheck: () => void
  drain: () => Promise<void>
}

interface Entry<W> extends PendingSave<W> {
  resolve: (result: SaveResult) => void
  reject: (error: unknown) => void
  done: Promise<VersionMeta>
}

/** The payload the next duplicate is compared with: the newest one accepted, stored or not yet. */
interface Tail {
  key: string
  done: Promise<VersionMeta>
}

/** Runs tasks one at a time, in order. */
function serialQueue (): <T>(task: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve()
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = last.then(task, task)
    last = run.catch(() => {})
    return run
  }
}

const notStored = (): Error => new Error('the commit did not store this version')

export function createGroupCommit<W> (options: GroupCommitOptions<W>): GroupCommit {
  const { log } = options
  const inMemoryDuplicates = options.duplicates !== 'commit'
  const exclusively = serialQueue()
  const inflight: Array<Entry<W>> = []
  /** Every save not yet answered, for drain to wait on. */
  const unanswered = new Set<Promise<VersionMeta>>()
  let committing = false

  const committedTail = (): Tail | null => {
    if (!inMemoryDuplicates) return null
    const latest = options.latest()
    return latest === null ? null : { key: canonical(latest.payload), done: Promise.resolve(latest.meta) }
  }
  let tail = committedTail()

  const commit = (batch: Array<Entry<W>>): Promise<void> => exclusively(async () => {
    let answers: ReadonlyArray<VersionMeta | CommitOutcome>
    try {
      answers = await options.commit(batch)
    } catch (error) {
      for (const entry of batch) entry.reject(error)
      return
    }
    const byId = new Map(answers.map((answer): [string, SaveResult] => 'version' in answer
      ? [answer.id, { version: answer.version, duplicate: answer.duplicate }]
      : [answer.id, { version: answer, duplicate: false }]))
    for (const entry of batch) {
      const result = byId.get(entry.id)
      if (result === undefined) entry.reject(notStored())
      else entry.resolve(result)
    }
  })

  /**
   * Commits every save not yet committed, one batch at a time, in id order. A batch is closed once
   * the oldest save waiting has done its own work: the saves that arrive meanwhile (the clients a
   * commit just answered, coming back) join it instead of forming a batch of their own right after.
   */
  const pump = (): void => {
    const oldest = inflight[0]
    if (committing || oldest === undefined) return
    committing = true
    void oldest.ready
      .then(() => commit(inflight.splice(0)))
      .finally(() => {
        committing = false
        pump()
      })
  }

  const save = async (payload: Payload): Promise<SaveResult> => {
    const key = canonical(payload)
    if (tail !== null && tail.key === key) {
      return { version: await tail.done.catch((error: unknown) => { throw storageFailure(error, 'store the version') }), duplicate: true }
    }
    let resolve!: (result: SaveResult) => void
    let reject!: (error: unknown) => void
    const answered = new Promise<SaveResult>((res, rej) => { resolve = res; reject = rej })
    const done = answered.then((result) => result.version)
    let admitted: Admitted<W>
    try {
      admitted = options.admit(payload, key)
    } catch (error) {
      const failure = storageFailure(error, 'store the version')
      log.error({ err: error, code: failure.code }, 'version not stored')
      throw failure
    }
    const ready = admitted.started === undefined
      ? Promise.resolve(true)
      : admitted.started.then(() => true, (error: unknown) => {
        reject(error)
        return false
      })
    const entry: Entry<W> = { id: admitted.id, payload, work: admitted.work, ready, resolve, reject, done }
    inflight.push(entry)
    unanswered.add(done)
    void done.catch(() => {}).finally(() => unanswered.delete(done))
    const ownTail = { key, done }
    if (inMemoryDuplicates) tail = ownTail
    pump()

    try {
      return await answered
    } catch (error) {
      if (tail === ownTail) tail = committedTail()
      const failure = storageFailure(error, 'store the version')
      log.error({ err: error, id: entry.id, code: failure.code }, 'version not stored')
      throw failure
    }
  }

  const drain = async (): Promise<void> => {
    await Promise.allSettled(unanswered)
    await exclusively(async () => {})
  }

  return {
    save,
    exclusively,
    resetDuplicateCheck: () => { tail = committedTail() },
    drain
  }
}
