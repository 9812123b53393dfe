// The PostgreSQL store's schema, as numbered migrations in code. Each start applies the ones the
// database lacks, in one transaction under an advisory lock, so instances starting together migrate
// once; an instance whose code knows fewer migrations than the database has refuses to start.
import { transaction, type Queryable, type Sql } from './postgres-connection.js'

interface Migration {
  version: number
  name: string
  /** Runs with the schema first on the search path. */
  statements: string
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'versions, state, alerts',
    statements: `
      -- Ids compare byte-wise ("C"), as the strings they are in JavaScript; payload is the exact
      -- JSON text stored (key order kept); meta the version's VersionMeta as JSON, so a start reads
      -- no payloads.
      CREATE TABLE versions (
        id text COLLATE "C" PRIMARY KEY,
        received_at bigint NOT NULL,
        payload text NOT NULL,
        meta text NOT NULL
      );
      -- One row: the id clock (the last id any instance gave, and its receipt time) and the six
      -- statistics, changed in the transaction that adds or deletes the versions they count.
      -- Times are epoch milliseconds.
      CREATE TABLE state (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        last_id text COLLATE "C",
        last_received_at bigint NOT NULL DEFAULT 0,
        version_count bigint NOT NULL DEFAULT 0,
        oldest_received_at bigint,
        newest_received_at bigint,
        last_cleanup bigint,
        total_created bigint NOT NULL DEFAULT 0,
        total_deleted bigint NOT NULL DEFAULT 0
      );
      INSERT INTO state DEFAULT VALUES;
      -- The alert outbox: the record as added (body), its delivery state, and the lease of the
      -- sender attempting it (held_until, epoch ms).
      CREATE TABLE alerts (
        id text PRIMARY KEY,
        created_at text NOT NULL,
        body text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at bigint,
        delivered_at text,
        last_error text,
        held_until bigint
      );
      CREATE INDEX alerts_pending ON alerts (created_at, id) WHERE next_attempt_at IS NOT NULL;
      CREATE INDEX alerts_recent ON alerts (created_at DESC, id DESC);`
  }
]

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length

/** A double-quoted identifier (the schema name is checked against SCHEMA_PATTERN before it gets here). */
const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`

export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError'
}

function refuseNewer (schema: string, found: number): void {
  if (found > SCHEMA_VERSION) {
    throw new SchemaTooNewError(`the database schema "${schema}" is at version ${found}, newer than this code's version ${SCHEMA_VERSION}: run a usage-vault at least as new as the one that migrated it`)
  }
}

async function versionOf (sql: Queryable, schema: string): Promise<number> {
  const [table] = await sql<Array<{ exists: boolean }>>`SELECT to_regclass(${`${quote(schema)}.schema_version`}) IS NOT NULL AS exists`
  if (table?.exists !== true) return 0
  const [row] = await sql.unsafe<Array<{ version: number }>>(`SELECT coalesce(max(version), 0)::int AS version FROM ${quote(schema)}.schema_version`)
  return row?.version ?? 0
}

/** Brings the schema to SCHEMA_VERSION; returns the migrations applied. */
export async function migrate (sql: Sql, schema: string): Promise<number[]> {
  return await transaction(sql, '', async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`usage-vault migrations ${schema}`}, 0))`
    await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`)
    await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${quote(schema)}.schema_version (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
    const found = await versionOf(tx, schema)
    refuseNewer(schema, found)
    const applied: number[] = []
    for (const migration of MIGRATIONS.filter((candidate) => candidate.version > found)) {
      await tx.unsafe(`SET LOCAL search_path TO ${quote(schema)}; ${migration.statements}`)
      await tx.unsafe(`INSERT INTO ${quote(schema)}.schema_version (version, name) VALUES ($1, $2)`, [migration.version, migration.name])
      applied.push(migration.version)
    }
    return applied
  })
}

/** For a read-only open, which migrates nothing: true when the schema is there at this code's version, false when it is not there at all. */
export async function checkSchema (sql: Sql, schema: string): Promise<boolean> {
  const found = await versionOf(sql, schema)
  refuseNewer(schema, found)
  if (found > 0 && found < SCHEMA_VERSION) {
    throw new Error(`the database schema "${schema}" is at version ${found}, older than this code's version ${SCHEMA_VERSION}: start the service once to migrate it`)
  }
  return found === SCHEMA_VERSION
}
