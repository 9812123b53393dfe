// The read key: asked once in a dialog, kept in localStorage. Every request that meets a 401 waits
// on the same prompt.
import { $, KEY_STORAGE, state, writeStorage } from './state.js'

let waiters = []

export function askKey (reason) {
  const dialog = $('#key-dialog')
  $('#key-reason').textContent = reason
  if (!dialog.open) {
    dialog.showModal()
    $('#key-input').focus()
  }
  return new Promise((resolve) => waiters.push(resolve))
}

export function forgetKey () {
  state.key = null
  writeStorage(KEY_STORAGE, null)
}

export function wireKeyDialog () {
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
    const waiting = waiters
    waiters = []
    for (const resolve of waiting) resolve()
  })
}
