// The engine logs through whatever structured logger it is given (Fastify's pino in the service,
// a pino of its own in the command-line tool); this is the part of pino's interface it uses.
export interface StoreLog {
  info: (fields: object, message: string) => void
  warn: (fields: object, message: string) => void
  error: (fields: object, message: string) => void
}
