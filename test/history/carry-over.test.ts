// carryOver: a version's missing sections shown with the newest earlier real reading, from the
// metadata alone (numbers and reset texts), each named with the id it came from.
import t from 'tap'
import { carryOver } from '../../src/history/carry-over.js'
import { numericLeaves, resetTexts } from '../../src/storage/payload.js'
import type { Payload, StoredVersion, VersionMeta } from '../../src/storage/types.js'
import { metas } from './fixtures.js'

const window = (resetsIn: string, percentageUsed: number) => ({ resetsIn, percentageUsed })
const PLACEHOLDER = window('', 0)

/** Versions whose metadata is made from these payloads, as the store makes it. */
function versionsOf (payloads: Payload[]): StoredVersion[] {
  return metas(payloads.length).map((meta, index) => {
    const payload = payloads[index] as Payload
    return { meta: { ...meta, numbers: numericLeaves(payload), resetsIn: resetTexts(payload) }, payload }
  })
}

t.test('each missing section comes from the newest earlier version that really has it', async (t) => {
  const versions = versionsOf([
    { currentSession: window('5 hr', 10), weeklyLimits: { allModels: window('Thu', 20), sonnetOnly: window('Sat', 3) } },
    { currentSession: window('4 hr', 11), weeklyLimits: { allModels: window('Thu', 21), sonnetOnly: PLACEHOLDER }, extractionErrors: { sonnetOnly: 'x' } },
    { currentSession: PLACEHOLDER, weeklyLimits: { allModels: window('Thu', 22) }, extractionErrors: { currentSession: 'x', sonnetOnly: 'x' } }
  ])
  const list: VersionMeta[] = versions.map((version) => version.meta)
  const [first, second, third] = versions as [StoredVersion, StoredVersion, StoredVersion]

  t.same(carryOver(first, list), { payload: first.payload, carriedOver: null }, 'nothing missing, nothing carried')
  t.same(carryOver(second, list), {
    payload: { ...second.payload, weeklyLimits: { allModels: window('Thu', 21), sonnetOnly: window('Sat', 3) } },
    carriedOver: { 'weeklyLimits.sonnetOnly': first.meta.id }
  })
  t.same(carryOver(third, list), {
    payload: { ...third.payload, currentSession: window('4 hr', 11), weeklyLimits: { allModels: window('Thu', 22), sonnetOnly: window('Sat', 3) } },
    carriedOver: { currentSession: second.meta.id, 'weeklyLimits.sonnetOnly': first.meta.id }
  }, 'each from its own newest real reading, the partial versions between skipped')
  t.same(third.payload.currentSession, PLACEHOLDER, 'the stored payload is not changed')

  t.same(carryOver(third, list.slice(1)), {
    payload: { ...third.payload, currentSession: window('4 hr', 11) },
    carriedOver: { currentSession: second.meta.id }
  }, 'with the only real sonnetOnly pruned, that section stays as sent')
  t.same(carryOver(second, list.slice(1)).carriedOver, null, 'nothing earlier: nothing carried')
})
