/**
 * A seeded pseudo-random source (mulberry32) for the benchmarks: every run draws the same data and
 * asks the same questions, so figures compare between runs.
 */
export function seededRandom(seed: number) {
  let state = seed;
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { random, randomInt: (below: number) => Math.floor(random() * below) };
}
