// The service's configuration: one TypeBox schema gives both the start-up validation of the
// environment and the TypeScript type that the rest of the code reads.
import { isIP } from 'node:net'
import { Type, type Static } from '@sinclair/typebox'
import { envSchema, type EnvSchemaOpt } from 'env-schema'
import { ALERT_FORMATS } from './alerts/formats.js'
import { isTimeZone, systemTimeZone } from './insights/zone-time.js'
import { isDatabaseUrl, SCHEMA_PATTERN } from './storage/database-url.js'

/** Shorter keys are guessable: contract section 2 refuses them at start. */
export const MIN_KEY_LENGTH = 16

export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 4000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  CLAUDE_SYNC_API_KEY: Type.Optional(Type.String({ minLength: MIN_KEY_LENGTH })),
  CLAUDE_READ_API_KEY: Type.Optional(Type.String({ minLength: MIN_KEY_LENGTH })),
  RETENTION_MAX_VERSIONS: Type.Integer({ minimum: 1, default: 100 }),
  RETENTION_DAYS: Type.Number({ minimum: 0, default: 7 }),
  STALE_AFTER_MINUTES: Type.Number({ exclusiveMinimum: 0, default: 10 }),
  USAGE_TIMEZONE: Type.Optional(Type.String({ minLength: 1 })),
  CORS_ORIGINS: Type.String({ default: '' }),
  EVENTS_MAX_STREAMS: Type.Integer({ minimum: 1, default: 100 }),
  TRUST_PROXY: Type.String({ default: '' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' }
  ),
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  // Alerts and metrics (contract sections 10 and 11).
  ALERT_WEBHOOK_URL: Type.Optional(Type.String({ minLength: 1 })),
  ALERT_WEBHOOK_FORMAT: Type.Union(ALERT_FORMATS.map((format) => Type.Literal(format)), { default: 'json' }),
  ALERT_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  ALERT_THRESHOLDS: Type.String({ default: '80,95' }),
  ALERT_STALE_MINUTES: Type.Number({ minimum: 0, default: 30 }),
  METRICS_ENABLED: Type.Boolean({ default: true }),
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_SCHEMA: Type.String({ pattern: SCHEMA_PATTERN.source, default: 'usage_vault' })
}, { $id: 'Env' })

export type Env = Static<typeof EnvSchema>

/** A configuration problem found before the service listens; its message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Reads and validates the environment (and `.env`, which the environment overrides).
 * Throws a ConfigError naming the variable on a bad value.
 */
export function readEnv (source: NodeJS.ProcessEnv = process.env, options: { dotenv?: boolean } = {}): Env {
  let env: Env
  try {
    env = envSchema<Env>(envSchemaOptions(source, options.dotenv ?? source === process.env))
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message.replaceAll('env/', '')}`)
  }
  checkEnv(env)
  return env
}

/** The options of env-schema (and so of @fastify/env) that read `source` against the schema. */
export function envSchemaOptions (source: NodeJS.ProcessEnv, dotenv: boolean): EnvSchemaOpt {
  // Only defined values: an unset variable must take its default, not fail as `undefined`.
  const data = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined)) as Record<string, string>
  return { schema: structuredClone(EnvSchema), data, env: false, dotenv }
}

/** The rules that span variables, which a JSON schema of single values does not say. */
export function checkEnv (env: Env): void {
  if ((env.TLS_CERT_FILE === undefined) !== (env.TLS_KEY_FILE === undefined)) {
    const [set, missing] = env.TLS_CERT_FILE === undefined ? ['TLS_KEY_FILE', 'TLS_CERT_FILE'] : ['TLS_CERT_FILE', 'TLS_KEY_FILE']
    throw new ConfigError(`invalid configuration: ${set} is set but ${missing} is not; set both to serve HTTPS`)
  }
  if (env.DATABASE_URL !== undefined) {
    // The value is not repeated: it may hold a password.
    if (!isDatabaseUrl(env.DATABASE_URL)) throw new ConfigError('invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL with a host')
    // Instances on one database must share one write key; a key file per host would not be shared.
    if (env.CLAUDE_SYNC_API_KEY === undefined) throw new ConfigError('invalid configuration: CLAUDE_SYNC_API_KEY must be set when DATABASE_URL is (every instance needs the same key)')
  }
  if (env.ALERT_WEBHOOK_URL !== undefined) {
    const url = URL.canParse(env.ALERT_WEBHOOK_URL) ? new URL(env.ALERT_WEBHOOK_URL) : null
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigError('invalid configuration: ALERT_WEBHOOK_URL must be an http:// or https:// URL')
    }
    if (url.username !== '' || url.password !== '') {
      throw new ConfigError('invalid configuration: ALERT_WEBHOOK_URL must not hold a user or password (fetch refuses such URLs)')
    }
  }
  alertThresholds(env)
  if (env.USAGE_TIMEZONE !== undefined && !isTimeZone(env.USAGE_TIMEZONE)) {
    throw new ConfigError(`invalid configuration: USAGE_TIMEZONE ${JSON.stringify(env.USAGE_TIMEZONE)} is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`)
  }
  const badProxy = trustedProxies(env).find((entry) => !isAddressOrRange(entry))
  if (badProxy !== undefined) {
    throw new ConfigError(`invalid configuration: TRUST_PROXY: ${JSON.stringify(badProxy)} is not an IP address or a CIDR range`)
  }
}

function isAddressOrRange (entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (bits === undefined) return true
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

/** The proxies of TRUST_PROXY, trimmed, without empty entries: Fastify's `trustProxy` list. */
export function trustedProxies (env: Pick<Env, 'TRUST_PROXY'>): string[] {
  return env.TRUST_PROXY.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
}

/** The zone in which wall-clock reset texts are read (USAGE_TIMEZONE, else the service's own). */
export function usageTimeZone (env: Env): string {
  return env.USAGE_TIMEZONE ?? systemTimeZone()
}

/** The percentages of ALERT_THRESHOLDS, ascending, each once; empty means no threshold alerts. */
export function alertThresholds (env: Pick<Env, 'ALERT_THRESHOLDS'>): number[] {
  const parts = env.ALERT_THRESHOLDS.split(',').map((part) => part.trim()).filter((part) => part !== '')
  const values = parts.map(Number)
  const bad = parts.find((part, index) => !/^\d+(\.\d+)?$/.test(part) || (values[index] as number) <= 0 || (values[index] as number) > 100)
  if (bad !== undefined) {
    throw new ConfigError(`invalid configuration: ALERT_THRESHOLDS must be percentages above 0 and at most 100, separated by commas (got ${JSON.stringify(bad)})`)
  }
  return [...new Set(values)].sort((a, b) => a - b)
}

/** The origins allowed by CORS_ORIGINS, trimmed, without empty entries. */
export function corsOrigins (env: Env): string[] {
  return env.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '')
}
