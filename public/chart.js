// The history chart (uPlot): the three series with gaps where the scraper was silent, a mark at
// each reset the service observed, and each limit's projection, dashed, from its last point to
// 100 % or to its reset, whichever comes first.
import { api, failure } from './api.js'
import { formatPercent } from './format.js'
import { $, API, FIELDS, HIGH_PERCENT, HOUR, isMissing, MINUTE, numberAt, RANGES, RANGE_STORAGE, serverNow, state, toMs, writeStorage } from './state.js'

// The scraper posts every 5 minutes: a silence longer than this is drawn as a gap, not a line.
const GAP_MS = 15 * MINUTE
// Buckets of at most half a gap, so a gap still shows at 7 days (1344 buckets then).
const BUCKET_MS = 7.5 * MINUTE
const MAX_POINTS = 2000
// How far past now the chart reaches for projections, as a share of the range shown.
const FUTURE_SHARE = 0.4

let seriesTicket = 0
/** The widest bucket of the loaded series, which sets how long a silence must be to show. */
let bucketMs = BUCKET_MS

function gapAfter (bucket) {
  // Two buckets apart is normal at a coarse scale; only a longer silence is a gap there.
  return Math.max(GAP_MS, 2 * bucket)
}

function pushRow (data, t, values) {
  data[0].push(t / 1000)
  values.forEach((value, index) => data[index + 1].push(value))
}

/** Merges the three series on time, and puts a null row where the scraper was silent too long. */
function buildData (lists, bucket) {
  const rows = new Map()
  lists.forEach((points, index) => {
    for (const point of points) {
      const t = toMs(point.t)
      let row = rows.get(t)
      if (row === undefined) {
        row = FIELDS.map(() => undefined)
        rows.set(t, row)
      }
      // undefined: no value at this time (uPlot skips it); null: an empty bucket (a gap).
      row[index] = point.value === null ? null : point.value
    }
  })
  const times = [...rows.keys()].sort((a, b) => a - b)
  const data = [[], ...FIELDS.map(() => [])]
  const gap = gapAfter(bucket)
  let previous = null
  for (const t of times) {
    if (previous !== null && t - previous > gap) pushRow(data, (previous + t) / 2, FIELDS.map(() => null))
    pushRow(data, t, rows.get(t))
    previous = t
  }
  return data
}

export async function loadSeries () {
  const ticket = ++seriesTicket
  const span = RANGES[state.range]
  const points = span === null ? MAX_POINTS : Math.min(MAX_POINTS, Math.ceil(span / BUCKET_MS))
  const from = span === null ? null : new Date(serverNow() - span).toISOString()
  const lists = await Promise.all(FIELDS.map(async (field) => {
    const query = new URLSearchParams({ field: field.path.join('.'), points: String(points) })
    if (from !== null) query.set('from', from)
    const response = await api(`${API}/series?${query}`)
    if (response.ok) return (await response.json()).points
    const error = await failure('history', response)
    // The API refuses a field no retained version has (payloads without weekly limits, say):
    // for the chart that is a series without points, not a failure.
    if (response.status === 400 && /querystring\.field/.test(error.message)) return []
    throw error
  }))
  // A slower answer for a range no longer shown is dropped.
  if (ticket !== seriesTicket) return
  let bucket = span === null ? 0 : span / points
  if (span === null) {
    const times = lists.flat().map((point) => toMs(point.t))
    if (times.length > 1) bucket = (Math.max(...times) - Math.min(...times)) / points
  }
  bucketMs = Math.max(bucket, 0)
  state.data = buildData(lists, bucketMs)
  drawChart()
}

/** Adds a version that arrived live, as one more point at the end of the chart. */
export function appendVersion (version) {
  if (state.data === null) return
  const data = state.data
  const x = version.receivedAt / 1000
  const last = data[0][data[0].length - 1]
  if (last !== undefined && x <= last) return
  if (last !== undefined && (x - last) * 1000 > gapAfter(bucketMs)) {
    pushRow(data, ((last + x) / 2) * 1000, FIELDS.map(() => null))
  }
  // A section the scrape did not read is no point (its placeholder 0 is not a reading).
  pushRow(data, version.receivedAt, FIELDS.map((field) => (isMissing(version.payload, field) ? undefined : numberAt(version.payload, field.path))))
  drawChart()
}

/**
 * A limit's projection as a segment { x0, y0, x1, y1 } (ms, %): from its newest value along its
 * pace to 100 %, or to its reset when that comes first; null without a pace, or at 100 already.
 */
export function projectionOf (limit) {
  if (!limit || limit.ratePerHour === null || limit.status === 'limit-reached') return null
  const x0 = Date.parse(limit.asOf)
  const y0 = limit.percentageUsed
  const full = limit.projectedFullAt === null ? null : Date.parse(limit.projectedFullAt)
  const reset = limit.resetsAt === null ? null : Date.parse(limit.resetsAt)
  if (full !== null && (reset === null || full <= reset)) return full > x0 ? { x0, y0, x1: full, y1: 100 } : null
  if (reset === null || reset <= x0) return null
  // Towards the point where the line meets 100 when there is one; a flat or falling pace stays level.
  const perMs = full !== null && full > x0 ? (100 - y0) / (full - x0) : Math.max(0, limit.ratePerHour) / HOUR
  return { x0, y0, x1: reset, y1: Math.min(100, y0 + perMs * (reset - x0)) }
}

/** The projections drawn now, by field name. */
export function projections () {
  const limits = state.forecast?.limits ?? {}
  return Object.fromEntries(FIELDS.map((field) => [field.name, projectionOf(limits[field.limit])]))
}

function cssColor (name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim()
}

function chartHeight () {
  return window.matchMedia('(max-width: 640px)').matches ? 220 : 300
}

/** A straight line in canvas pixels, optionally dashed, clipped to the plotting area. */
function stroke (plot, colour, width, dash, alpha, points) {
  const ctx = plot.ctx
  const ratio = window.devicePixelRatio
  ctx.save()
  ctx.beginPath()
  ctx.rect(plot.bbox.left, plot.bbox.top, plot.bbox.width, plot.bbox.height)
  ctx.clip()
  ctx.strokeStyle = colour
  ctx.globalAlpha = alpha
  ctx.lineWidth = width * ratio
  ctx.setLineDash(dash.map((length) => length * ratio))
  ctx.beginPath()
  points.forEach(([x, y], index) => (index === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)))
  ctx.stroke()
  ctx.restore()
}

function chartOptions (width) {
  const muted = cssColor('--muted')
  const line = cssColor('--line')
  const danger = cssColor('--danger')
  const colours = FIELDS.map((field) => cssColor(field.color))
  const axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } }
  const xPos = (plot, ms) => plot.valToPos(ms / 1000, 'x', true)
  const yPos = (plot, percent) => plot.valToPos(percent, 'y', true)
  return {
    width,
    height: chartHeight(),
    scales: {
      x: {
        time: true,
        // The chosen range is shown whole, even where there is no data yet, and reaches on to where
        // the projections end (two fifths of the range at most: the past stays readable).
        range: (plot, min, max) => {
          if (min === null) return [min, max]
          const span = RANGES[state.range]
          const shown = span === null ? [Math.min(min, max - 3600), max] : [Math.min(min, serverNow() / 1000 - span / 1000), Math.max(max, serverNow() / 1000)]
          const ends = Object.values(projections()).filter((segment) => segment !== null).map((segment) => segment.x1 / 1000)
          if (ends.length > 0) shown[1] = Math.max(shown[1], Math.min(Math.max(...ends), shown[1] + (shown[1] - shown[0]) * FUTURE_SHARE))
          return shown
        }
      },
      y: { range: [0, 100] }
    },
    axes: [
      axis,
      { ...axis, size: 52, values: (plot, splits) => splits.map((split) => `${split} %`) }
    ],
    series: [
      {},
      ...FIELDS.map((field, index) => ({
        label: field.label,
        stroke: colours[index],
        width: 2,
        spanGaps: false,
        value: (plot, value) => value === null || value === undefined ? '–' : `${formatPercent(value)} %`
      }))
    ],
    hooks: {
      drawAxes: [(plot) => {
        // The 80 % line, under the series: above it a bar turns red.
        const y = Math.round(yPos(plot, HIGH_PERCENT)) + 0.5
        stroke(plot, danger, 1, [4, 4], 0.6, [[plot.bbox.left, y], [plot.bbox.left + plot.bbox.width, y]])
        // Each observed reset: a faint vertical line in the colour of its limit.
        FIELDS.forEach((field, index) => {
          for (const time of state.forecast?.resets?.[field.limit] ?? []) {
            const x = Math.round(xPos(plot, Date.parse(time))) + 0.5
            stroke(plot, colours[index], 1, [2, 3], 0.55, [[x, plot.bbox.top], [x, plot.bbox.top + plot.bbox.height]])
          }
        })
      }],
      draw: [(plot) => {
        const segments = projections()
        FIELDS.forEach((field, index) => {
          const segment = segments[field.name]
          if (segment === null) return
          stroke(plot, colours[index], 2, [6, 4], 1, [
            [xPos(plot, segment.x0), yPos(plot, segment.y0)],
            [xPos(plot, segment.x1), yPos(plot, segment.y1)]
          ])
        })
      }]
    }
  }
}

export function drawChart () {
  const element = $('#chart')
  const empty = state.data === null || state.data[0].length === 0
  $('#chart-empty').hidden = !empty
  element.hidden = empty
  if (empty) {
    state.plot?.destroy()
    state.plot = null
    return
  }
  if (state.plot !== null) {
    // Also recomputes the x range, which reaches to where the projections end.
    state.plot.setData(state.data)
    return
  }
  state.plot = new window.uPlot(chartOptions(element.clientWidth), state.data, element)
}

function redrawChart () {
  state.plot?.destroy()
  state.plot = null
  drawChart()
}

/** The range picker, resizing, and the colour scheme; `onError` shows a failed load. */
export function wireChart (onError) {
  for (const button of document.querySelectorAll('.ranges button')) {
    button.setAttribute('aria-pressed', String(button.dataset.range === state.range))
    button.addEventListener('click', () => {
      if (button.dataset.range === state.range) return
      state.range = button.dataset.range
      writeStorage(RANGE_STORAGE, state.range)
      for (const other of document.querySelectorAll('.ranges button')) {
        other.setAttribute('aria-pressed', String(other === button))
      }
      loadSeries().then(() => onError(null), (error) => onError(error.message))
    })
  }
  new ResizeObserver(() => {
    if (state.plot === null) return
    const width = $('#chart').clientWidth
    if (width !== state.plot.width || chartHeight() !== state.plot.height) state.plot.setSize({ width, height: chartHeight() })
  }).observe($('.history'))
  // The chart's colours are read from the stylesheet, so it is redrawn when they change.
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', redrawChart)
}
