// Guarantee 8 of the fault suite: hostile input. A generated corpus of thousands of bad requests
// (lib/corpus.ts) is sent, three times over, to the built service: no answer is 5xx, nothing is
// stored and no statistic changes, the process stays alive, and its memory stays flat.
import t from 'tap'
import { readFile, rm, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hostileCorpus, type HostileRequest } from './lib/corpus.js'
import { HISTORY, readFolder, settledFolder } from './lib/folder.js'
import { postSeq, request, USAGE } from './lib/http.js'
import { missingBuild } from './lib/paths.js'
import { startService, type Service } from './lib/processes.js'

const skip = missingBuild()

const rssMiB = async (pid: number): Promise<number> =>
  Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024

interface Outcome {
  label: string
  status: number | string
}

async function send (service: Service, corpus: HostileRequest[], concurrency: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < corpus.length) {
      const item = corpus[next++] as HostileRequest
      try {
        const answer = await request(service, item.path, { method: item.method, headers: item.headers, ...(item.body === undefined ? {} : { body: item.body }) })
        outcomes.push({ label: item.label, status: item.write && answer.status < 300 ? `stored ${answer.status}` : answer.status })
      } catch (error) {
        outcomes.push({ label: item.label, status: `connection: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}` })
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return outcomes
}

t.test('thousands of bad requests: no 5xx, nothing stored, alive, memory flat', { skip: skip ?? false }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'uv-hostile-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const service = await startService(dataDir, { env: { LOG_LEVEL: 'warn' } })
  t.teardown(() => service.stop())
  const pid = await service.pid()
  for (let seq = 0; seq < 3; seq++) t.equal((await postSeq(service, seq)).answer.status, 200, 'a version to read')
  // The clean-up each stored write sets off runs after its answer; let the last one finish.
  const idsBefore = (await settledFolder(dataDir)).ids
  const metadataBefore = await readFile(join(dataDir, HISTORY, '_metadata.json'), 'utf8')

  const corpus = hostileCorpus()
  t.ok(corpus.length >= 1500, `${corpus.length} requests in the corpus`)
  const rss: number[] = []
  const bad: Outcome[] = []
  for (let pass = 0; pass < 3; pass++) {
    const outcomes = await send(service, corpus, 16)
    // An oversized header may be refused by closing the connection (431 is not always readable).
    bad.push(...outcomes.filter(({ label, status }) => typeof status === 'string'
      ? !(status.startsWith('connection') && /header|api key of/.test(label))
      : status >= 500))
    rss.push(await rssMiB(pid))
  }
  t.same(bad.slice(0, 20), [], `no 5xx, no stored write, no dropped connection (${bad.length} bad of ${3 * corpus.length})`)

  const health = await request(service, '/health')
  t.equal(health.status, 200, 'the process is alive and healthy')
  t.equal(await service.pid(), pid, 'the same process')
  t.same((await readFolder(dataDir)).ids, idsBefore, 'no version file was added')
  t.equal(await readFile(join(dataDir, HISTORY, '_metadata.json'), 'utf8'), metadataBefore, 'the statistics did not change')
  t.equal((await request(service, `${USAGE}/versions`)).body?.total, 3, 'nothing new is listed')
  t.comment(`RSS after each pass: ${rss.map((value) => value.toFixed(1)).join(', ')} MiB`)
  t.ok((rss[2] as number) - (rss[0] as number) < 40, `memory flat: ${(rss[0] as number).toFixed(1)} -> ${(rss[2] as number).toFixed(1)} MiB from pass 1 to pass 3`)
})
