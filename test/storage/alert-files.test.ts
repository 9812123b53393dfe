// The folder store's alert outbox: the interface's suite, then what an operator sees in the folder.
import t from 'tap'
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helper.js'
import { ALERTS_DIR } from '../../src/storage/alert-files.js'
import { alertOutboxSuite, alertRecord } from './fixtures/alert-outbox-suite.js'
import { openStore } from './fixtures/folder.js'
import type { VersionStore } from '../../src/storage/types.js'

alertOutboxSuite(t, async (t) => {
  const dir = await tempDir(t)
  let store: VersionStore | null = null
  const open = async (): Promise<VersionStore['alerts']> => {
    await store?.close()
    store = await openStore(t, dir)
    return store.alerts
  }
  return { open, reopen: open }
})

t.test('each alert is a file of its own, mode 0600, in a folder of mode 0700, with no leftovers', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(t, dir)
  const alert = alertRecord('threshold-0123abcd', '2026-01-25T16:00:00.000Z')
  await store.alerts.add(alert)
  await store.alerts.settle(alert.id, { attempts: 1, nextAttemptAt: 5, deliveredAt: null, lastError: 'HTTP 500' })
  const folder = join(dir, ALERTS_DIR)
  t.same(await readdir(folder), ['threshold-0123abcd.json'])
  t.equal((await stat(folder)).mode & 0o777, 0o700)
  t.equal((await stat(join(folder, 'threshold-0123abcd.json'))).mode & 0o777, 0o600)
  t.same(JSON.parse(await readFile(join(folder, 'threshold-0123abcd.json'), 'utf8')), { ...alert, attempts: 1, nextAttemptAt: 5, lastError: 'HTTP 500' })
})

t.test('a damaged alert file, a link or a leftover is skipped, never fatal; an id that is no file name is refused', async (t) => {
  const dir = await tempDir(t)
  const folder = join(dir, ALERTS_DIR)
  await mkdir(folder, { recursive: true })
  await writeFile(join(folder, 'broken.json'), '{"id": "broken", ')
  await writeFile(join(folder, '.tmp-half.json'), '{')
  await writeFile(join(dir, 'elsewhere.json'), JSON.stringify(alertRecord('linked', '2026-01-25T16:00:00.000Z')))
  await symlink(join(dir, 'elsewhere.json'), join(folder, 'linked.json'))
  await writeFile(join(folder, 'notes.txt'), 'mine')
  const store = await openStore(t, dir)
  t.same(await store.alerts.recent(10), [])
  t.equal(await store.alerts.add(alertRecord('half', '2026-01-25T16:00:00.000Z')), true, 'a leftover does not block its id')
  await t.rejects(store.alerts.add(alertRecord('../escape', '2026-01-25T16:00:00.000Z')), /not a valid alert id/)
  t.same((await readdir(folder)).sort(), ['broken.json', 'half.json', 'linked.json', 'notes.txt'], 'unknown files are left alone')
})

t.test('settled alerts older than 30 days are removed; pending ones are kept however old', async (t) => {
  const dir = await tempDir(t)
  const first = await openStore(t, dir)
  const old = '2020-01-01T00:00:00.000Z'
  await first.alerts.add(alertRecord('old-delivered', old, { deliveredAt: old, nextAttemptAt: null }))
  await first.alerts.add(alertRecord('old-pending', old))
  await first.close()
  const store = await openStore(t, dir)
  t.same((await store.alerts.recent(10)).map((alert) => alert.id), ['old-pending'])
  t.same(await readdir(join(dir, ALERTS_DIR)), ['old-pending.json'])
})
