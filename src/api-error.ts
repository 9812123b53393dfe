// What an error becomes on the wire: one function turns any error (ours, Fastify's, the store's,
// a validation failure) into the status, errorCode and message of the contract's envelope, and
// hides the internals of 5xx. plugins/errors.ts answers with it; so does `answerFrameworkError`,
// for the few errors Fastify raises before any hook or handler runs (a malformed URL).
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorEnvelope } from './schemas/errors.js'
import { StorageError } from './storage/errors.js'

export interface ApiErrorOptions {
  suggestion?: string
  /** Extra envelope fields, e.g. `{ oldestAvailableId }` or `{ validRange }`. */
  details?: Record<string, unknown>
  /** Headers to send with the error, e.g. `Retry-After`. */
  headers?: Record<string, string>
}

/** An error a route or hook throws on purpose; its message is shown to the client as is. */
export class ApiError extends Error {
  override name = 'ApiError'
  readonly statusCode: number
  readonly errorCode: string
  readonly suggestion: string | undefined
  readonly details: Record<string, unknown>
  readonly headers: Record<string, string>

  constructor (statusCode: number, errorCode: string, message: string, options: ApiErrorOptions = {}) {
    super(message)
    this.statusCode = statusCode
    this.errorCode = errorCode
    this.suggestion = options.suggestion
    this.details = options.details ?? {}
    this.headers = options.headers ?? {}
  }
}

export interface DescribedError {
  statusCode: number
  errorCode: string
  message: string
  suggestion?: string
  details?: Record<string, unknown>
  headers?: Record<string, string>
}

/** What a 400 VALIDATION_ERROR suggests, whether the schema or a check after it refused the request. */
export const VALIDATION_SUGGESTION = 'correct the named field; see GET /docs for the schema'

/** errorCodes for statuses raised by Fastify, its plugins or `httpErrors` without a code of ours. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  410: 'GONE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS'
}

interface AjvIssue {
  keyword: string
  instancePath: string
  schemaPath: string
  params: Record<string, unknown>
  message?: string
}

type AnyError = Partial<FastifyError> & { validation?: AjvIssue[], validationContext?: string }

export function describeError (error: AnyError): DescribedError {
  if (error instanceof ApiError) {
    return {
      statusCode: error.statusCode,
      errorCode: error.errorCode,
      message: error.message,
      ...(error.suggestion === undefined ? {} : { suggestion: error.suggestion }),
      details: error.details,
      headers: error.headers
    }
  }
  if (error instanceof StorageError) {
    return {
      statusCode: error.statusCode,
      errorCode: error.code,
      message: error.message,
      suggestion: error.code === 'STORAGE_FULL'
        ? 'free disk space on the server; nothing was stored, so the same request can be sent again'
        : 'nothing was stored; retry later',
      headers: { 'retry-after': '10' }
    }
  }
  if (Array.isArray(error.validation)) {
    return {
      statusCode: 400,
      errorCode: 'VALIDATION_ERROR',
      message: validationMessage(error.validation, error.validationContext ?? 'request'),
      suggestion: VALIDATION_SUGGESTION
    }
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { statusCode: 413, errorCode: 'PAYLOAD_TOO_LARGE', message: 'the body is over 64 KiB', suggestion: 'send one snapshot per request' }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { statusCode: 415, errorCode: 'UNSUPPORTED_MEDIA_TYPE', message: 'the body must be JSON', suggestion: 'send Content-Type: application/json' }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { statusCode: 400, errorCode: 'INVALID_JSON', message: 'the body is empty', suggestion: 'send a JSON object' }
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { statusCode: 400, errorCode: 'INVALID_JSON', message: 'the body is not valid JSON', suggestion: 'send a JSON object' }
  }
  const statusCode = error.statusCode ?? 500
  // JSON.parse's SyntaxError, which Fastify's JSON parser marks 400.
  if (statusCode === 400 && error instanceof SyntaxError) {
    return { statusCode, errorCode: 'INVALID_JSON', message: `the body is not valid JSON: ${error.message}`, suggestion: 'send a JSON object' }
  }
  if (statusCode >= 400 && statusCode < 500) {
    return { statusCode, errorCode: CODE_BY_STATUS[statusCode] ?? 'BAD_REQUEST', message: error.message ?? 'request refused' }
  }
  // Anything else is a fault of ours: its message may name files or internals, so it stays in the log.
  return statusCode === 503
    ? { statusCode, errorCode: 'SERVICE_UNAVAILABLE', message: 'the service is unavailable', suggestion: 'retry later' }
    : { statusCode: 500, errorCode: 'INTERNAL_ERROR', message: 'internal error', suggestion: 'retry later; the server log has the details under this requestId' }
}

/** One sentence that names the field, e.g. `body.currentSession.percentageUsed must be <= 100`. */
export function validationMessage (issues: AjvIssue[], context: string): string {
  const anyOf = issues.find((issue) => issue.keyword === 'anyOf')
  if (anyOf !== undefined) {
    const alternatives = issues
      .filter((issue) => issue.keyword === 'required' && issue.schemaPath.includes('/anyOf/'))
      .map((issue) => String(issue.params.missingProperty))
    return `${fieldName(context, anyOf.instancePath)} must have at least one of ${alternatives.join(', ')}`
  }
  const issue = issues[0]
  if (issue === undefined) return `${context} is invalid`
  switch (issue.keyword) {
    case 'required':
      return `${fieldName(context, issue.instancePath, String(issue.params.missingProperty))} is required`
    case 'additionalProperties':
      return `${fieldName(context, issue.instancePath, String(issue.params.additionalProperty))} is not an allowed field`
    default:
      return `${fieldName(context, issue.instancePath)} ${issue.message ?? 'is invalid'}`
  }
}

function fieldName (context: string, instancePath: string, child?: string): string {
  const segments = instancePath.split('/').slice(1).map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
  if (child !== undefined) segments.push(child)
  return [context, ...segments].join('.')
}

export function envelope (described: DescribedError, requestId: string): ErrorEnvelope {
  return {
    ...described.details,
    success: false,
    statusCode: described.statusCode,
    errorCode: described.errorCode,
    message: described.message,
    ...(described.suggestion === undefined ? {} : { suggestion: described.suggestion }),
    requestId,
    timestamp: new Date().toISOString()
  }
}

/** Fastify's `frameworkErrors` option: a URL it cannot decode still gets the envelope and the id. */
export function answerFrameworkError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const described = describeError(error)
  void reply.code(described.statusCode)
    .header('x-request-id', request.id)
    .type('application/json; charset=utf-8')
    .send(envelope(described, request.id))
}

/** What Node's HTTP parser refuses, by its error code: the status and the envelope's fields. */
function describeClientError (code: string | undefined): DescribedError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { statusCode: 431, errorCode: 'HEADERS_TOO_LARGE', message: 'the request headers are too large', suggestion: 'send fewer or shorter headers' }
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { statusCode: 408, errorCode: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time', suggestion: 'send the whole request at once' }
    default:
      return { statusCode: 400, errorCode: 'MALFORMED_REQUEST', message: 'the request is not valid HTTP', suggestion: 'send a well-formed HTTP/1.1 request' }
  }
}

/**
 * Fastify's `clientErrorHandler`: the parser's own refusals (headers too large, a malformed request,
 * a request that took too long) answered in the envelope, with a request id, then the connection closed.
 */
export function answerClientError (error: Error & { code?: string }, socket: Duplex): void {
  // Nothing can be answered on a connection the client already reset or that is gone.
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy()
    return
  }
  const described = describeClientError(error.code)
  const requestId = randomUUID()
  const body = JSON.stringify(envelope(described, requestId))
  socket.end(`HTTP/1.1 ${described.statusCode} ${STATUS_CODES[described.statusCode] ?? ''}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`)
}
