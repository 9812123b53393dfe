// The answer to a read of one version, shared by `GET /api/claude/console-usage` and the history
// API's `GET /api/claude/console-usage/versions/:id`:
//
//   import { replyWithVersion, versionViewResponses } from '../src/version-view.js'
//   schema: { response: versionViewResponses(400, 404) }
//   handler: async (request, reply) => replyWithVersion(request, reply, storedVersion)
//
// It builds the body (payload fields + isStale, ageMinutes, source, versionInfo), sets ETag,
// Last-Modified and a Cache-Control that shortens as the data ages, and answers 304 to a client
// that already holds this version. Sections a partial scrape declares missing are shown with the
// newest earlier real value (src/history/carry-over.ts), named in `versionInfo.carriedOver`.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StoredVersion, VersionMeta } from './storage/index.js'
import { ageMinutes, isStale } from './freshness.js'
import { carryOver, type ShownPayload } from './history/carry-over.js'
import { firstAtOrAfter } from './history/pages.js'
import { errorResponses } from './schemas/errors.js'
import { NotModified, VersionView } from './schemas/version-view.js'

export type { VersionView } from './schemas/version-view.js'

export interface ViewOptions {
  /** STALE_AFTER_MINUTES */
  staleAfterMinutes: number
  now: number
}

/** Response schemas of a route that answers with `replyWithVersion`, plus the given error statuses. */
export function versionViewResponses<const S extends number> (...errorStatuses: S[]): { 200: typeof VersionView, 304: typeof NotModified } & ReturnType<typeof errorResponses<S>> {
  return { 200: VersionView, 304: NotModified, ...errorResponses(...errorStatuses) }
}

/** 1-based position of `id` among the retained versions (sorted by id), and their number. */
export function positionOf (versions: readonly VersionMeta[], id: string): { current: number, total: number } {
  return { current: firstAtOrAfter(versions, id) + 1, total: versions.length }
}

/** The time a payload describes: its lastUpdated, or its receipt when that is missing or not a date. */
export function dataTime (version: StoredVersion): number {
  const lastUpdated = version.meta.lastUpdated === null ? Number.NaN : Date.parse(version.meta.lastUpdated)
  return Number.isNaN(lastUpdated) ? version.meta.receivedAt : lastUpdated
}

export function buildVersionView (version: StoredVersion, versions: readonly VersionMeta[], options: ViewOptions, shown: ShownPayload = carryOver(version, versions)): VersionView {
  const time = dataTime(version)
  const { id, receivedAt } = version.meta
  return {
    ...shown.payload,
    isStale: isStale(time, options.now, options.staleAfterMinutes),
    ageMinutes: ageMinutes(time, options.now),
    source: 'ec2-sync',
    versionInfo: {
      ...positionOf(versions, id),
      timestamp: new Date(receivedAt).toISOString(),
      filename: `${id}.json`,
      id,
      ...(shown.carriedOver === null ? {} : { carriedOver: shown.carriedOver })
    }
  }
}

/**
 * Fresh data may be cached a minute, ageing data half that, and old data must be revalidated. Behind
 * a read key (`keyed`) only the client's own cache may keep it: a shared cache would serve it to anyone.
 */
export function cacheControl (age: number, keyed = false): string {
  const scope = keyed ? 'private' : 'public'
  if (age < 5) return `${scope}, max-age=60`
  if (age < 10) return `${scope}, max-age=30`
  return 'no-cache'
}

/**
 * The version id names the served version exactly, so it is a strong validator; with sections
 * carried over, their source ids are part of it, as what is shown changes when those change.
 */
export function etagOf (version: StoredVersion, shown: ShownPayload): string {
  if (shown.carriedOver === null) return `"${version.meta.id}"`
  const sources = [...new Set(Object.values(shown.carriedOver))].sort()
  return `"${[version.meta.id, ...sources].join('+')}"`
}

/**
 * What a version shows is fixed by the versions before it, which change only when retention
 * prunes the oldest or an import adds one: either moves its position or the oldest id. Kept per
 * version under that key, so the latest version, read by every widget, is worked out once.
 */
interface Shown {
  key: string
  shown: ShownPayload
  etag: string
  /** dataTime, epoch ms, and as an HTTP date: built once per version, not per read. */
  lastModifiedMs: number
  lastModified: string
}

const shownPayloads = new WeakMap<StoredVersion, Shown>()

function shownPayload (version: StoredVersion, versions: readonly VersionMeta[], current: number): Shown {
  const key = `${current}/${versions[0]?.id ?? ''}`
  const cached = shownPayloads.get(version)
  if (cached?.key === key) return cached
  const shown = carryOver(version, versions)
  const lastModifiedMs = cached?.lastModifiedMs ?? dataTime(version)
  const lastModified = cached?.lastModified ?? new Date(lastModifiedMs).toUTCString()
  const entry = { key, shown, etag: etagOf(version, shown), lastModifiedMs, lastModified }
  shownPayloads.set(version, entry)
  return entry
}

function notModified (request: FastifyRequest, etag: string, lastModifiedMs: number): boolean {
  const ifNoneMatch = request.headers['if-none-match']
  // RFC 9110: when If-None-Match is present, If-Modified-Since is ignored.
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch === etag || ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
  }
  const ifModifiedSince = request.headers['if-modified-since']
  if (ifModifiedSince === undefined) return false
  const since = Date.parse(ifModifiedSince)
  // HTTP dates have whole seconds: compare at that precision.
  return !Number.isNaN(since) && Math.floor(lastModifiedMs / 1000) * 1000 <= since
}

/**
 * Answers a read with `version`: the view as the body, or 304 when the client's ETag or date shows
 * it already has this version. Return the reply it gives back from an async handler.
 */
export function replyWithVersion (request: FastifyRequest, reply: FastifyReply, version: StoredVersion): FastifyReply {
  const { store, config } = request.server
  const now = Date.now()
  const versions = store.list()
  const { current, total } = positionOf(versions, version.meta.id)
  const { shown, etag, lastModifiedMs, lastModified } = shownPayload(version, versions, current)
  const age = ageMinutes(lastModifiedMs, now)
  const keyed = config.CLAUDE_READ_API_KEY !== undefined
  reply.header('etag', etag)
    .header('last-modified', lastModified)
    .header('cache-control', cacheControl(age, keyed))
  if (keyed) {
    // Added to what CORS may have set (Vary: Origin), not in its place.
    const vary = reply.getHeader('vary')
    reply.header('vary', vary === undefined ? 'X-API-Key' : `${String(vary)}, X-API-Key`)
  }
  // A client that holds this version costs no body at all.
  if (notModified(request, etag, lastModifiedMs)) return reply.code(304).send()
  // Already JSON text: Fastify sends a string with a JSON content type as it is.
  return reply.type('application/json; charset=utf-8')
    .send(serializedView(version, { age, current, total, etag, shown }, versions, { staleAfterMinutes: config.STALE_AFTER_MINUTES, now }))
}

/**
 * The view as JSON text, kept per version while what it says is unchanged: the latest version is
 * read every few minutes by each widget, and its text changes only with its age (a minute at a
 * time) or its place in the history.
 */
const viewTexts = new WeakMap<StoredVersion, { key: string, text: string }>()

interface ViewPlace {
  age: number
  current: number
  total: number
  /** Names the version and what was carried into it. */
  etag: string
  shown: ShownPayload
}

function serializedView (version: StoredVersion, place: ViewPlace, versions: readonly VersionMeta[], options: ViewOptions): string {
  const key = `${place.age}/${options.staleAfterMinutes}/${place.current}/${place.total}/${place.etag}`
  const cached = viewTexts.get(version)
  if (cached?.key === key) return cached.text
  const text = JSON.stringify(buildVersionView(version, versions, options, place.shown))
  viewTexts.set(version, { key, text })
  return text
}
