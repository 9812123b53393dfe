// The history page: the current numbers, their history drawn with uPlot, and new versions as they
// arrive over Server-Sent Events. Plain browser JavaScript, served as written (no build step).
'use strict'

;(() => {
  const API = '/api/claude/console-usage'
  const KEY_STORAGE = 'usage-vault.read-key'
  const RANGE_STORAGE = 'usage-vault.range'
  const MINUTE = 60_000
  const DAY = 24 * 60 * MINUTE
  // The scraper posts every 5 minutes: a silence longer than this is drawn as a gap, not a line.
  const GAP_MS = 15 * MINUTE
  // Buckets of at most half a gap, so a gap still shows at 7 days (1344 buckets then).
  const BUCKET_MS = 7.5 * MINUTE
  const MAX_POINTS = 2000
  // /health's rule: fresh within STALE_AFTER_MINUTES, stale within 30 minutes, then expired.
  const EXPIRED_MS = 30 * MINUTE
  const HIGH_PERCENT = 80
  const RANGES = { '1d': DAY, '7d': 7 * DAY, all: null }
  const FIELDS = [
    { name: 'session', label: 'Session', path: ['currentSession', 'percentageUsed'], reset: ['currentSession', 'resetsIn'], color: '--session' },
    { name: 'weekly', label: 'Weekly · all models', path: ['weeklyLimits', 'allModels', 'percentageUsed'], reset: ['weeklyLimits', 'allModels', 'resetsIn'], color: '--weekly' },
    { name: 'sonnet', label: 'Weekly · Sonnet', path: ['weeklyLimits', 'sonnetOnly', 'percentageUsed'], reset: ['weeklyLimits', 'sonnetOnly', 'resetsIn'], color: '--sonnet' }
  ]

  const $ = (selector) => document.querySelector(selector)
  const staleMinutes = Number($('meta[name="stale-after-minutes"]')?.content)
  const STALE_MS = (Number.isFinite(staleMinutes) && staleMinutes > 0 ? staleMinutes : 10) * MINUTE

  const state = {
    key: readStorage(KEY_STORAGE),
    range: Object.hasOwn(RANGES, readStorage(RANGE_STORAGE) ?? '') ? readStorage(RANGE_STORAGE) : '7d',
    /** The newest version known: { id, receivedAt (ms), payload }. */
    latest: null,
    /** The server's clock minus ours, from the Date header, so ages agree with /health. */
    clockSkew: 0,
    /** Exactly what uPlot was given: [x seconds, session, weekly, sonnet]; null is a gap. */
    data: null,
    /** The widest bucket of the loaded series, which sets how long a silence must be to show. */
    bucketMs: BUCKET_MS,
    plot: null,
    seriesTicket: 0,
    lastEventId: null,
    live: false
  }

  function readStorage (name) {
    try { return localStorage.getItem(name) } catch { return null }
  }

  function writeStorage (name, value) {
    try {
      if (value === null) localStorage.removeItem(name)
      else localStorage.setItem(name, value)
    } catch { /* private mode: the key is kept for this page only */ }
  }

  const at = (object, path) => path.reduce((node, key) => (node !== null && typeof node === 'object' ? node[key] : undefined), object)
  const numberAt = (object, path) => {
    const value = at(object, path)
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined
  }
  const serverNow = () => Date.now() + state.clockSkew
  const toMs = (time) => typeof time === 'number' ? time : Date.parse(time)
  const formatPercent = (value) => Number.isInteger(value) ? String(value) : value.toFixed(1)
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

  function formatAge (ms) {
    const minutes = Math.floor(ms / MINUTE)
    if (minutes < 1) return 'just now'
    if (minutes < 60) return `${minutes} min ago`
    const hours = Math.floor(minutes / 60)
    if (hours < 48) return `${hours} h ${minutes % 60} min ago`
    return `${Math.floor(hours / 24)} days ago`
  }

  // ---- the read key: asked once, kept in localStorage ----

  let keyWaiters = []

  function askKey (reason) {
    const dialog = $('#key-dialog')
    $('#key-reason').textContent = reason
    if (!dialog.open) {
      dialog.showModal()
      $('#key-input').focus()
    }
    return new Promise((resolve) => keyWaiters.push(resolve))
  }

  function wireKeyDialog () {
    const dialog = $('#key-dialog')
    // Without a key there is nothing to show, so Escape does not close it.
    dialog.addEventListener('cancel', (event) => event.preventDefault())
    $('#key-form').addEventListener('submit', (event) => {
      const key = $('#key-input').value.trim()
      if (key === '') {
        event.preventDefault()
        return
      }
      state.key = key
      writeStorage(KEY_STORAGE, key)
      $('#key-input').value = ''
      const waiters = keyWaiters
      keyWaiters = []
      for (const resolve of waiters) resolve()
    })
  }

  /** fetch with the read key; on 401 asks for a key (once for all callers) and tries again. */
  async function api (path, options = {}) {
    for (;;) {
      const sentKey = state.key
      const headers = { Accept: options.accept ?? 'application/json' }
      if (sentKey) headers['X-API-Key'] = sentKey
      if (options.lastEventId) headers['Last-Event-ID'] = options.lastEventId
      const response = await fetch(path, { headers, cache: 'no-store' })
      const date = Date.parse(response.headers.get('date') ?? '')
      if (Number.isFinite(date)) state.clockSkew = date - Date.now()
      if (response.status !== 401) return response
      await response.body?.cancel()
      // Another request already got a new key while this one was out: just use it.
      if (state.key !== sentKey && state.key) continue
      if (sentKey) {
        state.key = null
        writeStorage(KEY_STORAGE, null)
      }
      await askKey(sentKey
        ? 'That key was refused. Enter the read key (or the write key).'
        : 'This service needs its read key to show the data.')
    }
  }

  async function failure (what, response) {
    const body = await response.json().catch(() => null)
    return new Error(`${what}: ${body?.message ?? `HTTP ${response.status}`}`)
  }

  function showMessage (text) {
    const message = $('#message')
    message.textContent = text ?? ''
    message.hidden = !text
  }

  // ---- the current numbers ----

  function setLatest (version) {
    if (state.latest !== null && version.id < state.latest.id) return
    state.latest = version
    renderLatest()
  }

  function renderLatest () {
    const payload = state.latest?.payload
    for (const field of FIELDS) {
      const card = $(`.meter[data-field="${field.name}"]`)
      const value = numberAt(payload, field.path)
      const known = value !== undefined
      card.querySelector('.pct').textContent = known ? formatPercent(value) : '–'
      card.querySelector('.fill').style.width = known ? `${Math.min(100, Math.max(0, value))}%` : '0'
      const bar = card.querySelector('.bar')
      if (known) bar.setAttribute('aria-valuenow', String(value))
      else bar.removeAttribute('aria-valuenow')
      card.classList.toggle('high', known && value > HIGH_PERCENT)
      const reset = at(payload, field.reset)
      // "2 hr 42 min" is a duration, "Thu 7:00 AM" a moment.
      card.querySelector('.reset').textContent = typeof reset === 'string' && reset !== ''
        ? (/^\d/.test(reset) ? `Resets in ${reset}` : `Resets ${reset}`)
        : '\u00a0'
    }
    renderFreshness()
  }

  function renderFreshness () {
    const badge = $('#freshness')
    let status = 'none'
    let text = 'no data'
    if (state.latest !== null) {
      const age = Math.max(0, serverNow() - state.latest.receivedAt)
      status = age <= STALE_MS ? 'fresh' : age <= EXPIRED_MS ? 'stale' : 'expired'
      text = `${status} · ${formatAge(age)}`
      const received = new Date(state.latest.receivedAt)
      $('#received').textContent = `Last snapshot received ${received.toLocaleString()} · ${state.latest.id}`
      badge.title = `Received ${received.toLocaleString()}`
    }
    badge.className = `badge badge-${status}`
    badge.dataset.status = status
    badge.textContent = text
  }

  async function loadLatest () {
    const response = await api(API)
    if (response.status === 404) {
      await response.body?.cancel()
      state.latest = null
      renderLatest()
      return
    }
    if (!response.ok) throw await failure('latest numbers', response)
    const body = await response.json()
    setLatest({ id: body.versionInfo.id, receivedAt: toMs(body.versionInfo.timestamp), payload: body })
  }

  // ---- the history chart ----

  function gapAfter (bucketMs) {
    // Two buckets apart is normal at a coarse scale; only a longer silence is a gap there.
    return Math.max(GAP_MS, 2 * bucketMs)
  }

  /** Merges the three series on time, and puts a null row where the scraper was silent too long. */
  function buildData (lists, bucketMs) {
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
    const gap = gapAfter(bucketMs)
    let previous = null
    for (const t of times) {
      if (previous !== null && t - previous > gap) pushRow(data, (previous + t) / 2, FIELDS.map(() => null))
      pushRow(data, t, rows.get(t))
      previous = t
    }
    return data
  }

  function pushRow (data, t, values) {
    data[0].push(t / 1000)
    values.forEach((value, index) => data[index + 1].push(value))
  }

  async function loadSeries () {
    const ticket = ++state.seriesTicket
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
    if (ticket !== state.seriesTicket) return
    let bucketMs = span === null ? 0 : span / points
    if (span === null) {
      const times = lists.flat().map((point) => toMs(point.t))
      if (times.length > 1) bucketMs = (Math.max(...times) - Math.min(...times)) / points
    }
    state.bucketMs = Math.max(bucketMs, 0)
    state.data = buildData(lists, state.bucketMs)
    drawChart()
  }

  /** Adds a version that arrived live, as one more point at the end of the chart. */
  function appendVersion (version) {
    if (state.data === null) return
    const data = state.data
    const x = version.receivedAt / 1000
    const last = data[0][data[0].length - 1]
    if (last !== undefined && x <= last) return
    if (last !== undefined && (x - last) * 1000 > gapAfter(state.bucketMs)) {
      pushRow(data, ((last + x) / 2) * 1000, FIELDS.map(() => null))
    }
    pushRow(data, version.receivedAt, FIELDS.map((field) => numberAt(version.payload, field.path)))
    drawChart()
  }

  function cssColor (name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim()
  }

  function chartHeight () {
    return window.matchMedia('(max-width: 640px)').matches ? 220 : 300
  }

  function chartOptions (width) {
    const muted = cssColor('--muted')
    const line = cssColor('--line')
    const danger = cssColor('--danger')
    const axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } }
    return {
      width,
      height: chartHeight(),
      scales: {
        x: {
          time: true,
          // The chosen range is shown whole, even where there is no data yet.
          range: (plot, min, max) => {
            const span = RANGES[state.range]
            if (min === null) return [min, max]
            // "All" of a few minutes' history still shows an hour, not milliseconds on the axis.
            if (span === null) return [Math.min(min, max - 3600), max]
            const now = serverNow() / 1000
            return [Math.min(min, now - span / 1000), Math.max(max, now)]
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
        ...FIELDS.map((field) => ({
          label: field.label,
          stroke: cssColor(field.color),
          width: 2,
          spanGaps: false,
          value: (plot, value) => value === null || value === undefined ? '–' : `${formatPercent(value)} %`
        }))
      ],
      hooks: {
        // The 80 % line, under the series: above it a bar turns red.
        drawAxes: [(plot) => {
          const ctx = plot.ctx
          const y = Math.round(plot.valToPos(HIGH_PERCENT, 'y', true)) + 0.5
          ctx.save()
          ctx.strokeStyle = danger
          ctx.globalAlpha = 0.6
          ctx.lineWidth = Math.max(1, window.devicePixelRatio)
          ctx.setLineDash([4 * window.devicePixelRatio, 4 * window.devicePixelRatio])
          ctx.beginPath()
          ctx.moveTo(plot.bbox.left, y)
          ctx.lineTo(plot.bbox.left + plot.bbox.width, y)
          ctx.stroke()
          ctx.restore()
        }]
      }
    }
  }

  function drawChart () {
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

  function wireChart () {
    for (const button of document.querySelectorAll('.ranges button')) {
      button.setAttribute('aria-pressed', String(button.dataset.range === state.range))
      button.addEventListener('click', () => {
        if (button.dataset.range === state.range) return
        state.range = button.dataset.range
        writeStorage(RANGE_STORAGE, state.range)
        for (const other of document.querySelectorAll('.ranges button')) {
          other.setAttribute('aria-pressed', String(other === button))
        }
        loadSeries().then(() => showMessage(null), (error) => showMessage(error.message))
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

  // ---- live: Server-Sent Events, read with fetch because EventSource cannot send the key ----

  function setLive (on) {
    state.live = on
    const live = $('#live')
    live.classList.toggle('on', on)
    live.textContent = on ? 'live' : 'offline'
    document.body.dataset.live = on ? 'on' : 'off'
  }

  async function readEvents (body, onEvent) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value.replace(/\r\n?/g, '\n')
      let end
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = { event: 'message', data: [], id: null }
        for (const line of block.split('\n')) {
          if (line === '' || line.startsWith(':')) continue
          const colon = line.indexOf(':')
          const name = colon === -1 ? line : line.slice(0, colon)
          const text = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
          if (name === 'event') event.event = text
          else if (name === 'data') event.data.push(text)
          else if (name === 'id') event.id = text
        }
        if (event.data.length > 0 || event.id !== null) await onEvent({ ...event, data: event.data.join('\n') })
      }
    }
  }

  async function onEvent (event) {
    if (event.id) state.lastEventId = event.id
    if (event.event === 'version') {
      const message = JSON.parse(event.data)
      const version = { id: message.id, receivedAt: toMs(message.receivedAt), payload: message.payload }
      setLatest(version)
      appendVersion(version)
    } else if (event.event === 'reset') {
      // What we last saw was pruned: start again from what is there now.
      state.lastEventId = null
      await Promise.all([loadLatest(), loadSeries()])
    }
  }

  async function listen () {
    let delay = 1000
    for (;;) {
      try {
        // Replay from the newest version shown, so nothing stored while connecting is missed.
        const response = await api(`${API}/events`, { accept: 'text/event-stream', lastEventId: state.lastEventId ?? state.latest?.id })
        if (!response.ok || response.body === null) throw new Error(`events: HTTP ${response.status}`)
        setLive(true)
        delay = 1000
        await readEvents(response.body, onEvent)
      } catch {
        // The connection dropped or the service restarts: try again below, more slowly each time.
      }
      setLive(false)
      await sleep(delay)
      delay = Math.min(delay * 2, 30_000)
    }
  }

  // ---- start ----

  async function start () {
    wireKeyDialog()
    wireChart()
    setLive(false)
    try {
      await loadLatest()
      await loadSeries()
      showMessage(null)
      document.body.dataset.state = 'ready'
    } catch (error) {
      showMessage(error.message)
      document.body.dataset.state = 'error'
    }
    listen()
    // Ages move on without new data. (The chart is left alone: redrawing would undo a zoom.)
    setInterval(renderFreshness, 15_000)
  }

  // For tests and the curious: the data uPlot draws, and the newest version shown.
  window.usageVault = {
    get chartData () { return state.data },
    get latest () { return state.latest },
    get plot () { return state.plot },
    get live () { return state.live }
  }

  start()
})()
