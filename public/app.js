// The history page: the current numbers and their forecast, their history drawn with uPlot, and
// new versions as they arrive over Server-Sent Events. ES modules served as written (no build step):
// state.js (shared state), api.js and key-prompt.js (requests and the read key), latest.js (the
// version shown), cards.js, chart.js, live.js, format.js (words). This file puts them together.
import { loadAlerts } from './alerts.js'
import { api, failure } from './api.js'
import { renderCards, renderFreshness } from './cards.js'
import { appendVersion, drawChart, loadSeries, projections, wireChart } from './chart.js'
import { wireKeyDialog } from './key-prompt.js'
import { fetchLatest, fromEvent, takeLatest } from './latest.js'
import { listen } from './live.js'
import { $, API, state } from './state.js'

function showMessage (text) {
  const message = $('#message')
  message.textContent = text ?? ''
  message.hidden = !text
}

async function loadLatest () {
  const version = await fetchLatest()
  if (version === null) state.latest = null
  else takeLatest(version)
  renderCards()
}

// One forecast request at a time; asks made meanwhile are answered by one more after it.
let forecastLoad = null
let forecastAgain = false

async function fetchForecast () {
  const response = await api(`${API}/forecast?resets=true`)
  if (!response.ok) throw await failure('forecast', response)
  state.forecast = await response.json()
  renderCards()
  drawChart()
}

function loadForecast () {
  if (forecastLoad !== null) {
    forecastAgain = true
    return forecastLoad
  }
  forecastLoad = fetchForecast().finally(() => {
    forecastLoad = null
    if (forecastAgain) {
      forecastAgain = false
      loadForecast().catch((error) => showMessage(error.message))
    }
  })
  return forecastLoad
}

/** Alerts are optional on the page: a failure to list them is logged, never shown over the usage. */
const refreshAlerts = () => { loadAlerts().catch((error) => console.warn(error)) }

function onVersion (message) {
  const version = fromEvent(message, state.latest)
  if (takeLatest(version)) renderCards()
  appendVersion(version)
  loadForecast().then(() => showMessage(null), (error) => showMessage(error.message))
  // A version's alerts are raised just after it is stored: look a moment later.
  setTimeout(refreshAlerts, 2_000)
}

async function onReset () {
  await Promise.all([loadLatest(), loadSeries(), loadForecast()])
}

async function start () {
  wireKeyDialog()
  wireChart(showMessage)
  try {
    await loadLatest()
    await Promise.all([loadSeries(), loadForecast()])
    showMessage(null)
    document.body.dataset.state = 'ready'
  } catch (error) {
    showMessage(error.message)
    document.body.dataset.state = 'error'
  }
  refreshAlerts()
  setInterval(refreshAlerts, 60_000)
  listen({ onVersion, onReset })
  // Ages and "in 2 h" move on without new data. (The chart is left alone: redrawing would undo a zoom.)
  setInterval(() => (state.latest === null ? renderFreshness() : renderCards()), 15_000)
}

// For tests and the curious: the data uPlot draws, the newest version shown, its forecast.
window.usageVault = {
  get chartData () { return state.data },
  get latest () { return state.latest },
  get forecast () { return state.forecast },
  get projections () { return projections() },
  get plot () { return state.plot },
  get live () { return state.live }
}

start()
