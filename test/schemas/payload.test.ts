// payloadProblem: the whole check of a snapshot outside a request (the command line's import uses
// it), giving the sentence a 400 would carry, with the caller's name for where the payload was.
import t from 'tap'
import { payloadProblem } from '../../src/schemas/payload.js'
import { samplePayload } from '../helper.js'

const PLACEHOLDER = { resetsIn: '', percentageUsed: 0 }

t.test('a full snapshot and each partial form are accepted', async (t) => {
  const full = samplePayload(40)
  t.equal(payloadProblem(full), null)
  t.equal(payloadProblem({ ...full, weeklyLimits: { allModels: { resetsIn: 'Thu', percentageUsed: 3 }, sonnetOnly: PLACEHOLDER }, isPartial: true, extractionErrors: { sonnetOnly: 'x' } }), null)
  t.equal(payloadProblem({ ...full, currentSession: PLACEHOLDER, extractionErrors: { currentSession: 'x' } }), null)
  t.equal(payloadProblem({ lastUpdated: full.lastUpdated, weeklyLimits: { sonnetOnly: { resetsIn: 'Sat', percentageUsed: 3 } } }), null, 'one weekly entry alone')
})

t.test('the schema\'s refusals and the placeholder rule, named under the given context', async (t) => {
  const full = samplePayload(40)
  t.equal(payloadProblem({ ...full, currentSession: PLACEHOLDER }), 'body.currentSession.resetsIn must NOT have fewer than 1 characters')
  t.equal(payloadProblem({ ...full, weeklyLimits: { allModels: PLACEHOLDER } }, 'line 3 payload'), 'line 3 payload.weeklyLimits.allModels.resetsIn must NOT have fewer than 1 characters')
  t.equal(payloadProblem({ ...full, currentSession: { resetsIn: '1 hr', percentageUsed: '47' } }), 'body.currentSession.percentageUsed must be number')
  t.equal(payloadProblem({ lastUpdated: full.lastUpdated }), 'body must have at least one of currentSession, weeklyLimits')
  t.equal(payloadProblem({ ...full, extra: 1 }, 'payload'), 'payload.extra is not an allowed field')
  t.equal(payloadProblem([full]), 'body must be object')
})
