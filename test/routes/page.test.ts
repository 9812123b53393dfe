import t from 'tap'
import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { build } from '../helper.js'

/** The page's own ES modules (public/*.js): the entry point and what it imports. */
const MODULES = readdirSync(new URL('../../public/', import.meta.url)).filter((name) => name.endsWith('.js'))

const assetUrls = (html: string): string[] =>
  [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] as string)

t.test('GET / is the history page, revalidated on each visit', async (t) => {
  const app = await build(t, { env: { STALE_AFTER_MINUTES: '12' } })
  const res = await app.inject({ method: 'GET', url: '/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8/)
  t.equal(res.headers['cache-control'], 'no-cache')
  t.ok(res.headers.etag)
  t.ok(res.headers['x-request-id'])
  const csp = res.headers['content-security-policy'] as string
  t.match(csp, /script-src 'self'/, 'scripts only from the service itself')
  t.notMatch(csp, /upgrade-insecure-requests/, 'a page served over plain HTTP still loads its files')
  t.match(res.body, /^<!doctype html>/)
  t.match(res.body, /<meta name="stale-after-minutes" content="12">/, 'the page knows the staleness threshold of /health')
  t.notMatch(res.body, /\{\{/, 'no placeholder is left')
  t.notMatch(res.body, /https?:\/\//, 'nothing is loaded from another host')
  t.same(assetUrls(res.body).map((url) => url.replace(/\?.*/, '')).sort(),
    [...MODULES.map((name) => `/assets/${name}`), '/assets/style.css', '/assets/uPlot.iife.min.js', '/assets/uPlot.min.css'].sort())
  t.match(res.body, /<script type="module" src="\/assets\/app\.js\?v=[\w-]+"><\/script>/, 'the entry point is an ES module')

  const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': res.headers.etag as string } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
})

t.test('the page files are served with their types, and cached for good under their hashed URL', async (t) => {
  const app = await build(t)
  const html = (await app.inject({ method: 'GET', url: '/' })).body
  const types: Record<string, RegExp> = {
    ...Object.fromEntries(MODULES.map((name) => [name, /^text\/javascript; charset=utf-8/])),
    'style.css': /^text\/css; charset=utf-8/,
    'uPlot.iife.min.js': /^text\/javascript; charset=utf-8/,
    'uPlot.min.css': /^text\/css; charset=utf-8/
  }
  for (const url of assetUrls(html)) {
    const name = url.replace(/^\/assets\/|\?.*$/g, '')
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, url)
    t.match(res.headers['content-type'], types[name] as RegExp, url)
    t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable', url)
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.ok(res.body.length > 100, `${url} has content`)

    const unversioned = await app.inject({ method: 'GET', url: `/assets/${name}` })
    t.equal(unversioned.statusCode, 200)
    t.equal(unversioned.headers['cache-control'], 'no-cache', 'an unhashed or old URL is not pinned in caches')
    t.equal(unversioned.body, res.body)

    const notModified = await app.inject({ method: 'GET', url, headers: { 'if-none-match': `W/${res.headers.etag as string}` } })
    t.equal(notModified.statusCode, 304)
  }
})

t.test('each module imports the others by their hashed URLs, so a changed module changes every URL above it', async (t) => {
  t.ok(MODULES.length > 5, 'the page is split into modules')
  const app = await build(t)
  const html = (await app.inject({ method: 'GET', url: '/' })).body
  const served = new Map(assetUrls(html).map((url) => [url.replace(/^\/assets\/|\?.*$/g, ''), url]))
  const seen = new Set<string>()
  for (const name of MODULES) {
    const body = (await app.inject({ method: 'GET', url: served.get(name) as string })).body
    const source = await readFile(new URL(`../../public/${name}`, import.meta.url), 'utf8')
    const imports = [...body.matchAll(/^import .* from '([^']+)'$/gm)].map((match) => match[1] as string)
    t.equal(imports.length, [...source.matchAll(/^import .* from '\.\/[\w-]+\.js'$/gm)].length, `${name}: every import is rewritten`)
    for (const url of imports) {
      t.match(url, /^\/assets\/[\w-]+\.js\?v=[\w-]{12}$/, `${name} imports ${url}`)
      t.equal(url, served.get(url.replace(/^\/assets\/|\?.*$/g, '')), 'the URL the page preloads')
      seen.add(url)
    }
  }
  t.equal(seen.size, MODULES.length - 1, 'every module but the entry point is imported by another')
})

t.test('uPlot comes from the installed package, byte for byte', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/assets/uPlot.iife.min.js' })
  const installed = await readFile(new URL('../../node_modules/uplot/dist/uPlot.iife.min.js', import.meta.url), 'utf8')
  t.equal(res.body, installed)
})

t.test('an unknown asset is not found', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/assets/../package.json' })
  t.equal(res.statusCode, 404)
  const other = await app.inject({ method: 'GET', url: '/assets/secret.js' })
  t.equal(other.statusCode, 404)
})
