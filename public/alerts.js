// The recent alerts (GET /alerts): what was sent, and whether it reached the receiver. The list is
// hidden while alerts are off and none were ever recorded. Built with textContent only: messages
// hold values the scraper sent.
import { api, failure } from './api.js'
import { formatAge } from './format.js'
import { $, API, serverNow } from './state.js'

const KINDS = { threshold: 'Threshold', forecast: 'At risk', stale: 'No data', storage: 'Storage', recovered: 'Recovered', test: 'Test' }

const attempts = (count) => `${count} attempt${count === 1 ? '' : 's'}`

function delivery (alert) {
  if (alert.deliveredAt !== null) return { text: 'delivered', status: 'delivered' }
  if (alert.nextAttemptAt === null) return { text: `given up after ${attempts(alert.attempts)}: ${alert.lastError ?? 'no answer'}`, status: 'failed' }
  if (alert.attempts === 0) return { text: 'sending', status: 'pending' }
  return { text: `retrying (${attempts(alert.attempts)}: ${alert.lastError ?? 'no answer'})`, status: 'pending' }
}

function item (alert, now) {
  const row = document.createElement('li')
  const state = delivery(alert)
  row.dataset.kind = alert.kind
  row.dataset.delivery = state.status
  const head = document.createElement('p')
  head.className = 'alert-head'
  const kind = document.createElement('span')
  kind.className = 'alert-kind'
  kind.textContent = KINDS[alert.kind] ?? alert.kind
  const when = document.createElement('time')
  when.dateTime = alert.createdAt
  when.title = new Date(alert.createdAt).toLocaleString()
  when.textContent = formatAge(now - Date.parse(alert.createdAt))
  const sent = document.createElement('span')
  sent.className = 'alert-delivery'
  sent.textContent = state.text
  head.append(kind, when, sent)
  const message = document.createElement('p')
  message.className = 'alert-message'
  message.textContent = alert.message
  row.append(head, message)
  return row
}

/** Loads and shows the recent alerts; a failure here leaves the rest of the page alone. */
export async function loadAlerts () {
  const response = await api(`${API}/alerts?limit=10`)
  if (!response.ok) throw await failure('alerts', response)
  const { enabled, alerts } = await response.json()
  const now = serverNow()
  $('#alerts').hidden = !enabled && alerts.length === 0
  $('#alerts-list').replaceChildren(...alerts.map((alert) => item(alert, now)))
  $('#alerts-empty').hidden = alerts.length > 0
}
