// `usage-vault agent --run CMD`: the scraper's loop (contract section 7). It runs CMD every
// `--every` and at once when the service asks (a `refresh` event on GET /refresh-requests, sent
// when the widget's refresh button is pressed), and pushes the snapshot CMD prints as `push` does.
// Runs never overlap: a tick or a refresh during a run is answered by that run's snapshot. A failed
// run (CMD fails, prints no JSON object, the service refuses it) is logged and nothing is pushed;
// the loop goes on. SIGTERM or SIGINT ends it once the run in progress is done, with status 0.
import type { Command } from 'commander'
import type { Logger } from 'pino'
import { CliError, cliLogger, EXIT_USAGE, loadConfig } from './context.js'
import { endpoint, INSECURE_HELP, pushSnapshot, retryDelays, ROUTE, serviceOf } from './push.js'
import { followRefreshRequests } from './refresh-stream.js'
import { runSnapshotCommand, type SnapshotCommand } from './snapshot-command.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** `30s`, `5m`, `1h` (or `500ms`) in milliseconds; anything else is a usage error naming the option. */
export function parseDuration (option: string, text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text)
  const ms = match === null ? Number.NaN : Number(match[1]) * (UNITS[match[2] as string] as number)
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > 2 ** 31 - 1) {
    throw new CliError(`${option} must be a duration such as 30s, 5m or 1h, got ${JSON.stringify(text)}`, EXIT_USAGE)
  }
  return ms
}

interface AgentOptions {
  command: SnapshotCommand
  everyMs: number
  postUrl: URL
  streamUrl: URL
  key: string
  delays: readonly number[]
  log: Logger
}

type Reason = 'start' | 'schedule' | 'refresh'

/** Starts the loop; `stop` resolves once the run in progress (if any) is done. */
function startAgent (options: AgentOptions): { stop: () => Promise<void> } {
  const { log } = options
  let running: Promise<void> | null = null
  let timer: NodeJS.Timeout | undefined
  let stopping = false
  const listening = new AbortController()

  const runOnce = async (reason: Reason): Promise<void> => {
    const started = Date.now()
    log.info({ reason }, 'run started')
    const result = await runSnapshotCommand(options.command)
    if (!result.ok) {
      log.error({ reason, why: result.why }, `run failed: ${result.why}; nothing pushed`)
      return
    }
    try {
      const answer = JSON.parse(await pushSnapshot({
        url: options.postUrl,
        key: options.key,
        body: result.body,
        delays: options.delays,
        onRetry: (why, delayMs) => { log.warn({ why, delayMs }, 'push failed; retrying') }
      })) as { version?: { id?: string }, duplicate?: boolean }
      log.info({ reason, versionId: answer.version?.id, duplicate: answer.duplicate, ms: Date.now() - started }, 'snapshot pushed')
    } catch (error) {
      log.error({ reason, why: (error as Error).message }, `push failed: ${(error as Error).message}`)
    }
  }

  const schedule = (): void => {
    clearTimeout(timer)
    if (stopping) return
    timer = setTimeout(() => { request('schedule') }, options.everyMs)
  }

  function request (reason: Reason): void {
    if (stopping) return
    if (running !== null) {
      log.info({ reason }, 'a run is in progress; its snapshot answers this one')
      return
    }
    // The schedule counts from the start of each run, whatever started it.
    schedule()
    running = runOnce(reason).finally(() => { running = null })
  }

  void followRefreshRequests({
    url: options.streamUrl,
    key: options.key,
    onRefresh: (refresh) => {
      log.info({ refreshId: refresh.id }, 'refresh asked for')
      request('refresh')
    },
    onConnected: () => { log.info({ url: options.streamUrl.href }, 'listening for refresh requests') },
    onDisconnected: (why, retryInMs) => { log.warn({ why, retryInMs }, 'not connected for refresh requests; connecting again') }
  }, listening.signal)
  request('start')

  return {
    stop: async () => {
      stopping = true
      clearTimeout(timer)
      listening.abort()
      await running
    }
  }
}

export function register (program: Command): void {
  program.command('agent')
    .description('the scraper\'s loop: run CMD every --every and whenever the service asks for a refresh, and push the snapshot JSON it prints as push does')
    .requiredOption('--run <cmd>', 'the scraper command, run by the shell; it prints the snapshot JSON on stdout (or writes it to --file)')
    .option('--every <duration>', 'how often to run it: 30s, 5m, 1h', '5m')
    .option('--file <path>', 'read the snapshot from this file after each run, instead of stdout')
    .option('--timeout <duration>', 'stop a run that takes longer than this', '5m')
    .option('--url <url>', 'the service (default: USAGE_VAULT_URL, then http://127.0.0.1:4000)')
    .option('--insecure', INSECURE_HELP)
    .action(async (options: { run: string, every: string, file?: string, timeout: string, url?: string, insecure?: boolean }) => {
      const everyMs = parseDuration('--every', options.every)
      const timeoutMs = parseDuration('--timeout', options.timeout)
      const { base, key } = serviceOf(options.url, 'agent')
      const config = loadConfig()
      // The agent's log is what an operator watches: runs and pushes show by default.
      const log = cliLogger(config, 'info')
      const agent = startAgent({
        command: { run: options.run, file: options.file, timeoutMs },
        everyMs,
        postUrl: endpoint(base, options.insecure === true),
        streamUrl: endpoint(base, options.insecure === true, `${ROUTE}/refresh-requests`),
        key,
        delays: retryDelays(),
        log
      })
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          log.info({ signal }, 'stopping once the run in progress is done')
          void agent.stop().then(resolve)
        }
        process.once('SIGTERM', stop)
        process.once('SIGINT', stop)
      })
      log.info('stopped')
    })
}
