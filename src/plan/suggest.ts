/**
 * "Did you mean …?" for unknown keys and names: the candidate with the smallest edit
 * distance, when it is close enough to be a plausible typo; else the one candidate that
 * shares the input's first hyphenated word. Hand-written: twenty lines,
 * not worth a dependency.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(input.length, 3) / 3));
  if (bestDistance <= limit) return best;
  // `deployment-ready` is far from `deployment-available` by edits, but the first word says it
  const head = input.toLowerCase().split('-')[0] as string;
  const sameHead = input.includes('-') ? candidates.filter((c) => c.toLowerCase().split('-')[0] === head) : [];
  return sameHead.length === 1 ? sameHead[0] : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}
