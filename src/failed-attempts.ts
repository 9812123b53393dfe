// Counts refused API keys per client in fixed one-minute windows: after `max` failures in a window,
// that client's wrong keys are answered 429 until the window is over. A client is an IPv4 address,
// or an IPv6 /64 (one host usually holds a whole /64, so counting single IPv6 addresses would let it
// escape the limit). The table is a Map kept in least-recently-failed order and capped at `capacity`:
// a new client costs one insertion and at most one eviction of the oldest entry, never a scan, however
// many addresses try. @fastify/rate-limit counts every request and would refuse a correct key too,
// so this small counter does the job instead.
import { isIPv4, isIPv6 } from 'node:net'

export interface FailedAttempts {
  /** Milliseconds until `client`'s failures stop blocking; 0 when it is not blocked. */
  blockedFor: (client: string, now: number) => number
  record: (client: string, now: number) => void
  /** Clients in the table now. */
  readonly size: number
}

export const DEFAULT_CAPACITY = 10_000

/** The four leading groups of an IPv6 address, expanded: its /64. */
function prefix64 (address: string): string {
  const [head = '', tail = ''] = address.split('::')
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::')
    ? [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups]
    : headGroups
  return `${groups.slice(0, 4).map((group) => (Number.parseInt(group, 16) || 0).toString(16)).join(':')}::/64`
}

/** The key a client address counts under: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64. */
export function clientKey (address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1] as string
  if (isIPv4(address)) return address
  // A zone (fe80::1%eth0) is not part of the address.
  const bare = address.split('%')[0] as string
  return isIPv6(bare) ? prefix64(bare.toLowerCase()) : address
}

export function createFailedAttempts (options: { max: number, windowMs: number, capacity?: number }): FailedAttempts {
  const capacity = options.capacity ?? DEFAULT_CAPACITY
  const windows = new Map<string, { start: number, failures: number }>()

  return {
    get size () { return windows.size },
    blockedFor (client, now) {
      const window = windows.get(client)
      if (window === undefined || window.failures < options.max) return 0
      return Math.max(0, window.start + options.windowMs - now)
    },
    record (client, now) {
      const window = windows.get(client)
      // Re-inserted on every failure: the Map's order is then least recently failed first.
      windows.delete(client)
      if (window === undefined || now - window.start >= options.windowMs) {
        if (windows.size >= capacity) windows.delete(windows.keys().next().value as string)
        windows.set(client, { start: now, failures: 1 })
      } else {
        window.failures++
        windows.set(client, window)
      }
    }
  }
}
