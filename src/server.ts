// The only place that creates the Fastify instance, listens, and closes on signals. Start-up
// failures (bad configuration, a folder locked by another instance) exit non-zero before listening.
import { readFile } from 'node:fs/promises'
import Fastify from 'fastify'
import { pino } from 'pino'
import app from './app.js'
import { ConfigError, readEnv, type Env } from './config.js'
import { CLOSE_TIMEOUT_MS, serverOptions } from './server-options.js'

export { CLOSE_TIMEOUT_MS }

async function readTls (env: Env): Promise<{ cert: Buffer, key: Buffer } | null> {
  if (env.TLS_CERT_FILE === undefined || env.TLS_KEY_FILE === undefined) return null
  const read = async (variable: 'TLS_CERT_FILE' | 'TLS_KEY_FILE', path: string): Promise<Buffer> =>
    await readFile(path).catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`invalid configuration: ${variable} cannot be read (${path}): ${error.code ?? error.message}`)
    })
  return { cert: await read('TLS_CERT_FILE', env.TLS_CERT_FILE), key: await read('TLS_KEY_FILE', env.TLS_KEY_FILE) }
}

export async function startServer (): Promise<void> {
  const fallbackLog = pino({ level: 'info' })
  let env: Env
  let tls: { cert: Buffer, key: Buffer } | null
  try {
    env = readEnv()
    tls = await readTls(env)
  } catch (error) {
    fallbackLog.fatal({ err: error }, (error as Error).message)
    process.exit(1)
  }

  const fastify = Fastify({ ...serverOptions(env), ...(tls === null ? {} : { https: tls }) })
  let closing = false
  const close = (signal: NodeJS.Signals): void => {
    if (closing) return
    closing = true
    fastify.log.info({ signal }, 'closing: no new connections, finishing requests in flight')
    const deadline = setTimeout(() => {
      fastify.log.error({ timeoutMs: CLOSE_TIMEOUT_MS }, 'close took too long; exiting')
      process.exit(1)
    }, CLOSE_TIMEOUT_MS)
    deadline.unref()
    fastify.close().then(() => {
      fastify.log.info('closed')
      process.exit(0)
    }, (error: unknown) => {
      fastify.log.error({ err: error }, 'close failed')
      process.exit(1)
    })
  }
  process.once('SIGTERM', close)
  process.once('SIGINT', close)

  try {
    await fastify.register(app)
    await fastify.listen({ port: env.PORT, host: env.HOST })
  } catch (error) {
    fastify.log.fatal({ err: error }, `not started: ${(error as Error).message}`)
    await fastify.close().catch(() => {})
    process.exit(1)
  }
  // pm2's wait_ready: the service answers from here on.
  process.send?.('ready')
}

await startServer()
