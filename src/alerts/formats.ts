// The three delivery formats of contract section 10, and the signature: what goes on the wire for
// one attempt. Every attempt of an alert is built alike, so a receiver sees the same id each time.
import { createHmac } from 'node:crypto'
import { bodyOf, type AlertBody } from './alert.js'

export const ALERT_FORMATS = ['json', 'slack', 'ntfy'] as const
export type AlertFormat = typeof ALERT_FORMATS[number]

export interface DeliveryRequest {
  body: string
  headers: Record<string, string>
}

const TITLES: Record<string, string> = {
  threshold: 'Usage limit threshold crossed',
  forecast: 'Usage limit at risk before its reset',
  stale: 'No usage snapshot lately',
  storage: 'usage-vault cannot store',
  recovered: 'usage-vault recovered',
  test: 'usage-vault test alert'
}

/** ntfy's 1 (min) to 5 (urgent). */
const PRIORITIES: Record<string, string> = { threshold: '4', forecast: '4', stale: '3', storage: '5', recovered: '3', test: '3' }
const TAGS: Record<string, string> = { threshold: 'warning', forecast: 'hourglass', stale: 'zzz', storage: 'rotating_light', recovered: 'white_check_mark', test: 'test_tube' }

/** Header values must be plain ASCII: anything else in a title is left out rather than sent broken. */
const ascii = (text: string): string => text.replace(/[^\x20-\x7e]/g, '')

export function deliveryRequest (alert: AlertBody, format: AlertFormat, secret: string | undefined): DeliveryRequest {
  const title = TITLES[alert.kind] ?? `usage-vault ${alert.kind}`
  let body: string
  const headers: Record<string, string> = { 'idempotency-key': alert.id }
  if (format === 'json') {
    body = JSON.stringify(bodyOf(alert))
    headers['content-type'] = 'application/json'
  } else if (format === 'slack') {
    body = JSON.stringify({ text: `*${title}*\n${alert.message}` })
    headers['content-type'] = 'application/json'
  } else {
    body = alert.message
    headers['content-type'] = 'text/plain; charset=utf-8'
    headers.title = ascii(title)
    headers.priority = PRIORITIES[alert.kind] ?? '3'
    headers.tags = TAGS[alert.kind] ?? 'bell'
  }
  if (secret !== undefined) headers['x-usage-vault-signature'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
  return { body, headers }
}
