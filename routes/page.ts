// The history page: `GET /` and the files it loads (its ES modules and style, and uPlot's), all
// read into memory at start-up so a missing file stops the service rather than a visitor's page.
// Asset URLs carry a hash of their content: a browser keeps them for a year, and a new release
// changes the URL instead of waiting for a cache to expire.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'

interface Asset {
  body: Buffer
  type: string
  etag: string
  /** The URL the page links, with the content hash that makes it cacheable for good. */
  url: string
  /** One of the page's own ES modules (public/*.js). */
  module: boolean
}

const IMMUTABLE = 'public, max-age=31536000, immutable'
// The page, and an asset asked for without its current hash, are checked on every use (cheap with
// the ETag), so the page always names, and gets, the current files.
const REVALIDATE = 'no-cache'
// The page's own policy, stricter than the service-wide one: this origin only, no inline script
// or style (uPlot styles through the CSSOM, which CSP allows), and never `upgrade-insecure-requests`,
// which would fetch the files of a page served over plain HTTP (http://host:4000) over HTTPS.
const PAGE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'self'"
].join('; ')

/** The package's root, found from this file whether it runs from `routes/` or `dist/routes/`. */
function packageRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('page: package.json not found above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
  return dir
}

const etagOf = (body: Buffer | string): string =>
  `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`

function assetOf (name: string, body: Buffer, type: string, module = false): Asset {
  const etag = etagOf(body)
  return { body, type, etag, url: `/assets/${name}?v=${etag.slice(1, 13)}`, module }
}

async function loadAsset (name: string, path: string, type: string): Promise<Asset> {
  return assetOf(name, await readFile(path), type)
}

const JS = 'text/javascript; charset=utf-8'
// `import … from './name.js'` (and `import './name.js'`) between the page's own modules.
const MODULE_IMPORT = /(\b(?:from|import)\s*)(['"])\.\/([\w-]+\.js)\2/g

/**
 * The page's ES modules (every .js in public/), each served with its imports rewritten to the
 * hashed URLs of the modules it imports. A module's hash so covers what it imports: a change deep
 * down gives every module above it a new URL too, and a browser never mixes old and new files.
 */
async function loadModules (dir: string): Promise<Map<string, Asset>> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.js'))
  const sources = new Map(await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')] as const)))
  const modules = new Map<string, Asset>()
  const resolving = new Set<string>()
  const resolve = (name: string): Asset => {
    const done = modules.get(name)
    if (done !== undefined) return done
    const source = sources.get(name)
    if (source === undefined) throw new Error(`page: a module imports ./${name}, which is not in public/`)
    if (resolving.has(name)) throw new Error(`page: modules import each other in a cycle through ${name}`)
    resolving.add(name)
    const body = Buffer.from(source.replace(MODULE_IMPORT, (_, keyword: string, quote: string, imported: string) => `${keyword}${quote}${resolve(imported).url}${quote}`))
    resolving.delete(name)
    const asset = assetOf(name, body, JS, true)
    modules.set(name, asset)
    return asset
  }
  for (const name of names) resolve(name)
  return modules
}

/** The files the page loads, by the name they have under `/assets/`. */
async function loadAssets (root: string): Promise<Map<string, Asset>> {
  // Resolved as Node resolves the package, so a hoisted or nested node_modules both work.
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'))
  const files: Array<[string, string, string]> = [
    ['style.css', join(root, 'public', 'style.css'), 'text/css; charset=utf-8'],
    ['uPlot.iife.min.js', join(uplot, 'uPlot.iife.min.js'), JS],
    ['uPlot.min.css', join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8']
  ]
  const assets = await Promise.all(files.map(async ([name, path, type]) => [name, await loadAsset(name, path, type)] as const))
  return new Map([...assets, ...await loadModules(join(root, 'public'))])
}

/** index.html with its placeholders filled: asset URLs, and the staleness threshold of /health. */
async function renderPage (root: string, assets: Map<string, Asset>, staleAfterMinutes: number): Promise<string> {
  const template = await readFile(join(root, 'public', 'index.html'), 'utf8')
  return template.replace(/\{\{([\w.]+)\}\}/g, (placeholder, name: string) => {
    if (name === 'STALE_AFTER_MINUTES') return String(staleAfterMinutes)
    // Every module but the entry point, fetched at once instead of one import level at a time.
    if (name === 'MODULE_PRELOADS') {
      return [...assets].filter(([file, asset]) => asset.module && file !== 'app.js')
        .map(([, asset]) => `<link rel="modulepreload" href="${asset.url}">`).join('\n')
    }
    const asset = assets.get(name)
    if (asset === undefined) throw new Error(`page: index.html names an unknown asset ${placeholder}`)
    return asset.url
  })
}

function notModified (request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match']
  return header !== undefined && header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}

function sendCached (request: FastifyRequest, reply: FastifyReply, body: Buffer | string, type: string, etag: string, cacheControl: string): FastifyReply {
  reply.header('ETag', etag).header('Cache-Control', cacheControl).header('X-Content-Type-Options', 'nosniff')
  if (notModified(request, etag)) return reply.code(304).send()
  return reply.type(type).send(body)
}

const cachedResponses = {
  200: Type.String({ description: 'The file' }),
  304: Type.Null({ description: 'Not modified since the ETag in If-None-Match' })
}

const page: FastifyPluginAsyncTypebox = async (fastify) => {
  const root = packageRoot()
  const assets = await loadAssets(root)
  const html = await renderPage(root, assets, fastify.config.STALE_AFTER_MINUTES)
  const htmlEtag = etagOf(html)

  fastify.get('/', {
    schema: {
      hide: true,
      summary: 'The history page (HTML)',
      headers: Type.Object({ 'if-none-match': Type.Optional(Type.String()) }),
      response: cachedResponses
    }
  }, async (request, reply) => {
    reply.header('Content-Security-Policy', PAGE_CSP)
    return sendCached(request, reply, html, 'text/html; charset=utf-8', htmlEtag, REVALIDATE)
  })

  for (const [name, asset] of assets) {
    const version = asset.url.slice(asset.url.indexOf('?v=') + 3)
    fastify.get(`/assets/${name}`, {
      schema: {
        hide: true,
        summary: `A file of the history page: ${name}`,
        querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 64 })) }),
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String()) }),
        response: cachedResponses
      }
    }, async (request, reply) => {
      // Only the URL with the current hash is cached for good; any other answers fresh content.
      const cacheControl = request.query.v === version ? IMMUTABLE : REVALIDATE
      return sendCached(request, reply, asset.body, asset.type, asset.etag, cacheControl)
    })
  }
}

export default page
