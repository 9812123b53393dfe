// Talking to the service under test as its clients do, with answers read whole and never thrown.
import type { Service } from './processes.js'
import { WRITE_KEY } from './processes.js'
import { payloadFor } from '../fixtures/payloads.mjs'
import type { Ack } from './folder.js'

export const USAGE = '/api/claude/console-usage'

export interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown> | null
  text: string
}

export async function request (service: Service, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${service.url}${path}`, { signal: AbortSignal.timeout(15_000), ...init })
  const text = await response.text()
  let body: Record<string, unknown> | null = null
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {}
  return { status: response.status, headers: response.headers, body, text }
}

export async function post (service: Service, payload: unknown, key: string | null = WRITE_KEY): Promise<Answer> {
  return await request(service, USAGE, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'x-api-key': key }) },
    body: JSON.stringify(payload)
  })
}

/** Posts the payload of `seq`; the acknowledgement when the answer was 200. */
export async function postSeq (service: Service, seq: number): Promise<{ answer: Answer, ack: Ack | null }> {
  const answer = await post(service, payloadFor(seq))
  const version = answer.body?.version as { id?: string } | undefined
  return { answer, ack: answer.status === 200 && typeof version?.id === 'string' ? { seq, id: version.id } : null }
}

export const errorCode = (answer: Answer): unknown => answer.body?.errorCode
