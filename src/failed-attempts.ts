// Counts refused API keys per client in fixed one-minute windows: after `max` failures in a window,
// that client's wrong keys are answered 429 until the window is over. A client is an IPv4 address,
// or an IPv6 /64 (one host usually holds a whole /64, so counting single IPv6 addresses would let it
// escape the limit). The table is bounded by `capacity` and costs the same per request however
// many addresses try: two generations of half the capacity each; a client that fails again is moved
// to the current one, and when the current one is full the older one is dropped whole. No scan,
// no iteration (evicting a Map's oldest entry by iterating from its front slows down as deleted
// slots pile up there). @fastify/rate-limit counts every request and would refuse a correct key too,
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
  const generation = Math.max(1, Math.floor((options.capacity ?? DEFAULT_CAPACITY) / 2))
  let current = new Map<string, { start: number, failures: number }>()
  let previous = new Map<string, { start: number, failures: number }>()

  return {
    get size () { return current.size + previous.size },
    blockedFor (client, now) {
      const window = current.get(client) ?? previous.get(client)
      if (window === undefined || window.failures < options.max) return 0
      return Math.max(0, window.start + options.windowMs - now)
    },
    record (client, now) {
      let window = current.get(client)
      if (window === undefined) {
        window = previous.get(client)
        previous.delete(client)
      }
      if (window === undefined || now - window.start >= options.windowMs) window = { start: now, failures: 1 }
      else window.failures++
      current.set(client, window)
      if (current.size >= generation) {
        previous = current
        current = new Map()
      }
    }
  }
}
