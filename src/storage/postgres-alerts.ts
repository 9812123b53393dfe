// The alert outbox in the `alerts` table. Adding is an INSERT that does nothing when the id is
// there; claiming is one UPDATE of the row that takes a lease, so of two instances asking at once
// exactly one gets the alert, and a sender that dies frees it when its lease runs out.
import { withinDeadline, type Sql } from './postgres-connection.js'
import type { AlertDelivery, AlertOutbox, AlertRecord } from './types.js'

interface AlertRow {
  body: string
  attempts: number
  next_attempt_at: string | null
  delivered_at: string | null
  last_error: string | null
}

const COLUMNS = 'body, attempts, next_attempt_at, delivered_at, last_error'

function recordOf (row: AlertRow): AlertRecord {
  const record = JSON.parse(row.body) as AlertRecord
  return {
    ...record,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at === null ? null : Number(row.next_attempt_at),
    deliveredAt: row.delivered_at,
    lastError: row.last_error
  }
}

export function postgresOutbox (sql: Sql, clock: () => number): AlertOutbox {
  return {
    add: async (alert) => {
      const rows = await withinDeadline(sql`
        INSERT INTO alerts (id, created_at, body, attempts, next_attempt_at, delivered_at, last_error)
        VALUES (${alert.id}, ${alert.createdAt}, ${JSON.stringify(alert)}, ${alert.attempts},
          ${alert.nextAttemptAt}, ${alert.deliveredAt}, ${alert.lastError})
        ON CONFLICT (id) DO NOTHING RETURNING id`, 'record the alert')
      return rows.length === 1
    },
    claim: async (id, holdMs) => {
      const now = clock()
      const rows = await withinDeadline(sql<AlertRow[]>`
        UPDATE alerts SET held_until = ${now + holdMs}
        WHERE id = ${id} AND next_attempt_at IS NOT NULL AND next_attempt_at <= ${now}
          AND (held_until IS NULL OR held_until <= ${now})
        RETURNING ${sql.unsafe(COLUMNS)}`, 'claim the alert')
      const row = rows[0]
      return row === undefined ? null : recordOf(row)
    },
    settle: async (id, delivery: AlertDelivery) => {
      await withinDeadline(sql`
        UPDATE alerts SET attempts = ${delivery.attempts}, next_attempt_at = ${delivery.nextAttemptAt},
          delivered_at = ${delivery.deliveredAt}, last_error = ${delivery.lastError}, held_until = NULL
        WHERE id = ${id}`, 'record the alert delivery')
    },
    pending: async () => {
      const rows = await withinDeadline(sql<AlertRow[]>`
        SELECT ${sql.unsafe(COLUMNS)} FROM alerts WHERE next_attempt_at IS NOT NULL ORDER BY created_at, id`, 'read the alerts')
      return rows.map(recordOf)
    },
    recent: async (limit) => {
      const rows = await withinDeadline(sql<AlertRow[]>`
        SELECT ${sql.unsafe(COLUMNS)} FROM alerts ORDER BY created_at DESC, id DESC LIMIT ${Math.max(0, Math.floor(limit))}`, 'read the alerts')
      return rows.map(recordOf)
    }
  }
}
