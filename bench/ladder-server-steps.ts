// The steps of the read ladder (bench/ladder-server.ts), apart from the server script so the bench
// can name them without starting one.

/** The service's per-request parts, in the order it registers them; the Fastify options come first. */
export const LADDER = ['service options (logger, request ids, limits)', 'drain', 'errors', 'request-id', 'security headers'] as const
