// `usage-vault push FILE|-`: sends one payload to a running service as the scraper does: POST with
// the write key, a 10 s timeout, and retries after 10 s and 20 s on network errors and 5xx, never
// on 4xx (a refused body or key will not get better by sending it again). Exit 0 when stored (or a
// duplicate), 1 when refused or when every attempt failed, 2 for a usage error. `usage-vault agent`
// pushes each snapshot with `pushSnapshot`, so both follow the same rules. The key goes only where
// --url says: a redirect is never followed (it would carry the key and the body to another origin),
// and plain http:// to a host other than loopback needs --insecure.
import { readFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { text } from 'node:stream/consumers'
import type { Command } from 'commander'
import { CliError, EXIT_USAGE, loadConfig, writeOut } from './context.js'

export const ROUTE = '/api/claude/console-usage'
const ATTEMPT_TIMEOUT_MS = 10_000
const RETRY_DELAYS_MS = [10_000, 20_000]
/**
 * Undocumented on purpose: the tests shorten the waits between attempts (comma-separated
 * milliseconds, e.g. `50,100`); operators get the scraper's timing.
 */
const RETRY_DELAYS_VARIABLE = 'USAGE_VAULT_PUSH_RETRY_DELAYS_MS'

export function retryDelays (): number[] {
  const configured = process.env[RETRY_DELAYS_VARIABLE]
  if (configured === undefined) return RETRY_DELAYS_MS
  const delays = configured.split(',').map((value) => Number(value.trim()))
  if (delays.some((delay) => !Number.isInteger(delay) || delay < 0)) {
    throw new CliError(`${RETRY_DELAYS_VARIABLE} must be comma-separated milliseconds`, EXIT_USAGE)
  }
  return delays
}

/** Hosts where plain HTTP never leaves the machine. */
const isLoopback = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)

/** The URL of `route` on the service at `base` (`--url`); plain http:// beyond loopback only when `insecure`. */
export function endpoint (base: string, insecure: boolean, route: string = ROUTE): URL {
  let url: URL
  try {
    url = new URL(base)
  } catch {
    throw new CliError(`--url ${base} is not a URL`, EXIT_USAGE)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url ${base} is not http(s)`, EXIT_USAGE)
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !insecure) {
    throw new CliError(`refusing to send the write key over plain http:// to ${url.host}: use https://, or pass --insecure to send it anyway`, EXIT_USAGE)
  }
  // A base with a path (behind a proxy at /vault/) keeps it; the full route of the snapshots is accepted as is.
  const prefix = url.pathname.replace(/\/+$/, '')
  url.pathname = `${prefix.endsWith(ROUTE) ? prefix.slice(0, -ROUTE.length) : prefix}${route}`
  return url
}

type Attempt =
  | { kind: 'answered', status: number, body: string, location: string | null }
  | { kind: 'network', reason: string }

async function attempt (url: URL, key: string, body: string, requestId: string): Promise<Attempt> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-request-id': requestId },
      body,
      // A redirect is answered back to us, never followed.
      redirect: 'manual',
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)
    })
    return { kind: 'answered', status: response.status, body: await response.text(), location: response.headers.get('location') }
  } catch (error) {
    const cause = (error as { cause?: { code?: string, message?: string } }).cause
    return { kind: 'network', reason: cause?.code ?? cause?.message ?? (error as Error).message }
  }
}

/** The error envelope's code and message, when the body is one. */
function summary (body: string): string {
  try {
    const parsed = JSON.parse(body) as { errorCode?: unknown, message?: unknown }
    if (typeof parsed.errorCode === 'string') return `${parsed.errorCode}: ${String(parsed.message)}`
  } catch {}
  return body.slice(0, 200)
}

/** The service a command talks to (`--url`, else USAGE_VAULT_URL, else the local default) and the write key it needs. */
export function serviceOf (urlOption: string | undefined, command: string): { base: string, key: string } {
  const key = loadConfig().CLAUDE_SYNC_API_KEY
  if (key === undefined) throw new CliError(`CLAUDE_SYNC_API_KEY is not set: ${command} needs the write key`, EXIT_USAGE)
  return { base: urlOption ?? process.env.USAGE_VAULT_URL ?? 'http://127.0.0.1:4000', key }
}

export interface PushOptions {
  url: URL
  key: string
  /** The snapshot, as JSON text. */
  body: string
  /** The waits before the second, third ... attempt. */
  delays: readonly number[]
  onRetry: (why: string, delayMs: number) => void
}

/** POSTs one snapshot, retrying as the scraper does; resolves with the service's answer, or throws CliError. */
export async function pushSnapshot ({ url, key, body, delays, onRetry }: PushOptions): Promise<string> {
  // One request id for every attempt, so the service's log ties the retries together.
  const requestId = randomUUID()
  for (let tries = 0; ; tries++) {
    const result = await attempt(url, key, body, requestId)
    if (result.kind === 'answered' && result.status < 300) return result.body
    if (result.kind === 'answered' && result.status < 400) {
      throw new CliError(`refused: ${result.status} redirect to ${result.location ?? '(no location)'}; a redirect is never followed (the key would go there too): give the final URL as --url`)
    }
    if (result.kind === 'answered' && result.status < 500) {
      throw new CliError(`refused: ${result.status} ${summary(result.body)}`)
    }
    const why = result.kind === 'network' ? result.reason : `${result.status} ${summary(result.body)}`
    const delay = delays[tries]
    if (delay === undefined) throw new CliError(`not stored after ${tries + 1} attempt(s): ${why}`)
    onRetry(why, delay)
    await sleep(delay)
  }
}

export const INSECURE_HELP = 'allow plain http:// to a host other than loopback (the key crosses the network unencrypted)'

export function register (program: Command): void {
  program.command('push')
    .description('POST a payload file (or - for stdin) to the service, retrying as the scraper does (network errors and 5xx, after 10 s and 20 s)')
    .argument('<file>', 'a JSON payload file, or -')
    .option('--url <url>', 'the service (default: USAGE_VAULT_URL, then http://127.0.0.1:4000)')
    .option('--insecure', INSECURE_HELP)
    .action(async (file: string, options: { url?: string, insecure?: boolean }) => {
      const { base, key } = serviceOf(options.url, 'push')
      const url = endpoint(base, options.insecure === true)
      const delays = retryDelays()
      const body = file === '-'
        ? await text(process.stdin)
        : await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read ${file}: ${error.code ?? error.message}`, EXIT_USAGE)
        })
      await writeOut(`${await pushSnapshot({ url, key, body, delays, onRetry: (why, delay) => {
        process.stderr.write(`usage-vault push: ${why}; retrying in ${delay / 1000} s\n`)
      } })}\n`)
    })
}
