// The in-memory form of a version's metadata, kept small: 100,000 versions stay in memory for the
// whole life of the service. What repeats from one version to the next is shared rather than held
// once per version: the reset texts (a handful of distinct strings), each section's set of them,
// and the numbers when they equal the previous version's (a quiet hour repeats them for every
// snapshot). A shared object is safe because callers never change a version's metadata (types.ts).
import type { VersionMeta } from './types.js'

/** Past this many distinct entries a table stops growing: what it has already shared stays shared. */
const TABLE_LIMIT = 20_000

type Resets = VersionMeta['resetsIn']
type Numbers = VersionMeta['numbers']

export class MetaCompactor {
  readonly #texts = new Map<string, string>()
  readonly #resets = new Map<string, Resets>()
  #lastNumbers: Numbers | null = null

  #text (text: string): string {
    const known = this.#texts.get(text)
    if (known !== undefined) return known
    if (this.#texts.size < TABLE_LIMIT) this.#texts.set(text, text)
    return text
  }

  #resetsOf (resets: Resets): Resets {
    // The key is built from the texts as they are: short-lived, unlike the object it may save.
    const entries = Object.entries(resets)
    const key = entries.map(([path, text]) => `${path}\u0000${text ?? ''}`).join('\u0001')
    const known = this.#resets.get(key)
    if (known !== undefined) return known
    const shared: Resets = {}
    for (const [path, text] of entries) if (text !== undefined) shared[path as keyof Resets] = this.#text(text)
    if (this.#resets.size < TABLE_LIMIT) this.#resets.set(key, shared)
    return shared
  }

  #numbersOf (numbers: Numbers): Numbers {
    const last = this.#lastNumbers
    if (last !== null && sameNumbers(last, numbers)) return last
    this.#lastNumbers = numbers
    return numbers
  }

  /** Makes `meta`, which the caller has just made and owns, share its repeated parts; returns it. */
  compact (meta: VersionMeta): VersionMeta {
    meta.numbers = this.#numbersOf(meta.numbers)
    meta.resetsIn = this.#resetsOf(meta.resetsIn)
    return meta
  }
}

function sameNumbers (a: Numbers, b: Numbers): boolean {
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  for (const key of keys) if (a[key] !== b[key]) return false
  return true
}
