// A seeded random source, so a failing crash round can be replayed: the seed is printed, and
// FAULT_SEED=<seed> runs the same rounds again.
export interface Random {
  seed: number
  /** An integer in [min, max]. */
  int: (min: number, max: number) => number
}

export function seededRandom (seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31))): Random {
  let state = seed >>> 0
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
  return { seed, int: (min, max) => min + Math.floor(next() * (max - min + 1)) }
}
