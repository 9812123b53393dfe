// What a database URL and schema name must be, checked where configuration is read. Kept apart from
// the driver (postgres-connection.ts), so that a service on the folder store never loads it.
/** A schema name: lower case (unquoted identifiers fold to it), short enough for the channel name beside it. */
export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/

/** The URL without its password, for messages and logs. */
export function redactUrl (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(a URL that cannot be parsed)'
  }
}

export function isDatabaseUrl (url: string): boolean {
  try {
    const parsed = new URL(url)
    return (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') && parsed.hostname !== ''
  } catch {
    return false
  }
}
