// The service's configuration: one TypeBox schema gives both the start-up validation of the
// environment and the TypeScript type that the rest of the code reads.
import { Type, type Static } from '@sinclair/typebox'
import { envSchema, type EnvSchemaOpt } from 'env-schema'
import { isDatabaseUrl, SCHEMA_PATTERN } from './storage/postgres-connection.js'

export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 4000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  CLAUDE_SYNC_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  CLAUDE_READ_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  RETENTION_MAX_VERSIONS: Type.Integer({ minimum: 1, default: 100 }),
  RETENTION_DAYS: Type.Number({ minimum: 0, default: 7 }),
  STALE_AFTER_MINUTES: Type.Number({ exclusiveMinimum: 0, default: 10 }),
  CORS_ORIGINS: Type.String({ default: '' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' }
  ),
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
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
}

/** The origins allowed by CORS_ORIGINS, trimmed, without empty entries. */
export function corsOrigins (env: Env): string[] {
  return env.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '')
}
