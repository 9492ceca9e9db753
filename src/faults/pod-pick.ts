/** Which pods a pod kill takes among the candidates: pure, so a seeded run can be replayed. */

export type PickOrder = 'random' | 'oldest' | 'newest';

export interface PodCandidate {
  name: string;
  /** creationTimestamp in ms since the epoch */
  createdMs: number;
}

/** mulberry32: a small, fast PRNG whose whole state is the 32-bit seed, enough for shuffling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh seed, for runs whose plan gives none (it is recorded so the run can be replayed). */
export function newSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/**
 * `count` of the candidates. Random picks shuffle the candidates sorted by name, so the same seed
 * and the same pods give the same choice whatever order the API listed them in.
 */
export function pickPods<T extends PodCandidate>(candidates: readonly T[], count: number, order: PickOrder, seed: number): T[] {
  const byName = [...candidates].sort((a, b) => a.name.localeCompare(b.name));
  const n = Math.min(count, byName.length);
  if (order === 'oldest') return byName.sort((a, b) => a.createdMs - b.createdMs).slice(0, n);
  if (order === 'newest') return byName.sort((a, b) => b.createdMs - a.createdMs).slice(0, n);
  const random = seededRandom(seed);
  for (let i = byName.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [byName[i], byName[j]] = [byName[j] as T, byName[i] as T];
  }
  return byName.slice(0, n);
}

/** How many pods to kill: `all`, a share rounded up (at least one), or a count (default 1). */
export function killCount(total: number, p: { count?: number; percent?: string; all?: boolean }, parsePercent: (s: string) => number): number {
  if (total === 0) return 0;
  if (p.all) return total;
  if (p.percent !== undefined) return Math.min(total, Math.max(1, Math.ceil(total * parsePercent(p.percent) - 1e-9)));
  return Math.min(total, p.count ?? 1);
}
