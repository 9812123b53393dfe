// Reset detection (contract section 9): drops, a passed reset instant, missing sections ignored.
import t from 'tap'
import { SECTIONS, type Section } from '../../src/sections.js'
import type { VersionMeta } from '../../src/storage/types.js'
import { isReset, observedResets, walkWindow } from '../../src/insights/windows.js'

const MINUTE = 60_000
const BASE = Date.parse('2026-01-12T14:00:00Z')
const SESSION = SECTIONS[0] as Section
const ZONE = 'America/New_York'

/** A version every 5 minutes; `null` declares the session missing (no number, no reset text). */
function versions (values: Array<number | null>, resetsIn: (i: number) => string = () => '5 hr'): VersionMeta[] {
  return values.map((value, i) => {
    const receivedAt = BASE + i * 5 * MINUTE
    return {
      id: `v${String(i).padStart(5, '0')}`,
      receivedAt,
      lastUpdated: new Date(receivedAt).toISOString(),
      size: 1,
      numbers: value === null ? {} : { [SESSION.percentPath]: value },
      resetsIn: value === null ? {} : { [SESSION.path]: resetsIn(i) }
    }
  })
}

const windowStart = (list: VersionMeta[]): { start: number, resetSeen: boolean } => walkWindow(list, SESSION, list.length - 1, ZONE)

t.test('a drop of 10 points or more is a reset; less is not', async (t) => {
  t.equal(isReset({ value: 50, resetsAt: null, lastUpdated: null }, { value: 40, resetsAt: null, lastUpdated: null }), true)
  t.equal(isReset({ value: 50, resetsAt: null, lastUpdated: null }, { value: 40.5, resetsAt: null, lastUpdated: null }), false)
  t.equal(isReset({ value: 50, resetsAt: null, lastUpdated: null }, { value: 90, resetsAt: null, lastUpdated: null }), false)
  t.same(windowStart(versions([20, 30, 45, 2, 5, 9])), { start: 3, resetSeen: true })
  t.same(windowStart(versions([20, 30, 45, 36, 40])), { start: 0, resetSeen: false }, 'a dip of 9 is noise, not a reset')
  t.same(observedResets(versions([20, 30, 45, 2, 5, 9, 80, 1, 3]), SESSION, 8, ZONE), [3, 7])
})

t.test('the earlier value\'s reset instant passing before the later one\'s lastUpdated is a reset', async (t) => {
  // Flat at 3 % (no drop at all), but the 3rd version said "4 min" and the 4th came 5 minutes later.
  const list = versions([3, 3, 3, 3, 3], (i) => (i === 2 ? '4 min' : '5 hr'))
  t.same(windowStart(list), { start: 3, resetSeen: true })
  t.equal(isReset({ value: 3, resetsAt: 1000, lastUpdated: 0 }, { value: 3, resetsAt: null, lastUpdated: 1000 }), false, 'at the very instant: not yet passed')
  t.equal(isReset({ value: 3, resetsAt: 1000, lastUpdated: 0 }, { value: 3, resetsAt: null, lastUpdated: 1001 }), true)
  t.equal(isReset({ value: 3, resetsAt: null, lastUpdated: 0 }, { value: 3, resetsAt: null, lastUpdated: 10 ** 13 }), false, 'an unknown reset never passes')
  // A wall-clock reset: "7:00 AM" (the next morning) is passed by a version a day later.
  const daily = versions([5, 6, 7], () => '7:00 AM')
  ;(daily[2] as VersionMeta).lastUpdated = new Date(BASE + 24 * 60 * MINUTE).toISOString()
  t.same(windowStart(daily), { start: 2, resetSeen: true })
})

t.test('sections a version declares missing are neither values nor resets', async (t) => {
  // The missing ones would be drops to 0 if read as values.
  t.same(windowStart(versions([40, null, 42, null, null, 44])), { start: 0, resetSeen: false })
  // The drop is measured across the gap: 45 then (missing) then 30 is a reset at the 30.
  t.same(windowStart(versions([40, 45, null, 30, 31])), { start: 3, resetSeen: true })
  t.same(observedResets(versions([40, null, 42, null, 3, null]), SESSION, 5, ZONE), [4])
})

t.test('walks that stop at what an earlier walk learnt agree with fresh ones', async (t) => {
  // 3,000 values with a drop every 700 and a gap of missing ones: every window longer than the
  // memos' spacing. The copy has the same versions as other objects, so no memo reaches it.
  const values = Array.from({ length: 3000 }, (_, i) => (i % 97 === 5 ? null : (i % 700) / 10))
  const list = versions(values)
  const fresh = (): VersionMeta[] => list.map((meta) => ({ ...meta }))
  const order = [2999, 1500, 2998, 1400, 2100, 2999, 700, 1399, 2950, 10, 2999]
  for (const newest of order) {
    if (values[newest] === null) continue
    t.same(walkWindow(list, SESSION, newest, ZONE), walkWindow(fresh(), SESSION, newest, ZONE), `from ${newest}`)
  }
  t.same(walkWindow(list, SESSION, 2999, ZONE), { start: 2800, resetSeen: true })
  // A version imported into the window (an older id inserted in the middle) voids what was learnt.
  const inserted = [...list.slice(0, 2951), { ...(list[2950] as VersionMeta), id: 'v02950b', numbers: { [SESSION.percentPath]: 1 } }, ...list.slice(2951)]
  t.same(walkWindow(inserted, SESSION, 3000, ZONE), { start: 2951, resetSeen: true }, 'the inserted drop is the newest reset')
})

t.test('a window that reaches the oldest value is learnt too, and voided by an older import', async (t) => {
  const list = versions(Array.from({ length: 1000 }, (_, i) => 20 + i / 100))
  t.same(walkWindow(list, SESSION, 999, ZONE), { start: 0, resetSeen: false })
  t.same(walkWindow(list, SESSION, 999, ZONE), { start: 0, resetSeen: false }, 'again, from what was learnt')
  const older = { ...(list[0] as VersionMeta), id: 'v-older', receivedAt: BASE - 5 * MINUTE, numbers: { [SESSION.percentPath]: 90 } }
  t.same(walkWindow([older, ...list], SESSION, 1000, ZONE), { start: 1, resetSeen: true }, '90 then 20 is a reset')
  t.same(walkWindow(list.slice(300), SESSION, 699, ZONE), { start: 0, resetSeen: false }, 'older versions pruned')
})
