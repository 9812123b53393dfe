// Alerts that could not be recorded in the store (its folder or database is the very thing that
// failed, as in a `storage` alert) are still sent, from memory: retried as recorded ones are, but
// lost at a restart. Same interface, so the sender treats both alike.
import type { AlertOutbox, AlertRecord } from '../storage/types.js'

export function memoryOutbox (clock: () => number = Date.now): AlertOutbox {
  const records = new Map<string, AlertRecord>()
  const holds = new Map<string, number>()
  const pending = (record: AlertRecord): boolean => record.deliveredAt === null && record.nextAttemptAt !== null
  return {
    add: async (alert) => {
      if (records.has(alert.id)) return false
      records.set(alert.id, { ...alert })
      return true
    },
    claim: async (id, holdMs) => {
      const record = records.get(id)
      const now = clock()
      if (record === undefined || !pending(record) || (record.nextAttemptAt as number) > now || (holds.get(id) ?? 0) > now) return null
      holds.set(id, now + holdMs)
      return { ...record }
    },
    settle: async (id, delivery) => {
      const record = records.get(id)
      if (record !== undefined) records.set(id, { ...record, ...delivery })
      holds.delete(id)
    },
    pending: async () => [...records.values()].filter(pending).map((record) => ({ ...record })),
    recent: async (limit) => [...records.values()].reverse().slice(0, limit).map((record) => ({ ...record }))
  }
}
