import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { UsageError } from '../../core/index.js';
import type { SignOff } from '../../results/index.js';

const KEYS = ['preparedBy', 'reviewedBy', 'decision', 'date', 'deviations'] as const;
const EXAMPLE = 'e.g.\n  preparedBy: Jane Doe (SRE)\n  reviewedBy: Max Mustermann (release manager)\n  decision: accepted with deviations\n  date: 2026-12-07\n  deviations:\n    - PHY-02 not run: no spare node in staging';

/**
 * Reads the sign-off file of `crt report --sign-off`: who prepared and reviewed the run, the
 * decision, its date, and the deviations or known issues (a list, or one text). Every problem is
 * a usage error naming the file, line and key.
 */
export async function readSignOff(file: string): Promise<SignOff> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--sign-off ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { hint: EXAMPLE });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) throw new UsageError(`${file}: not YAML: ${doc.errors[0]?.message ?? ''}`, { hint: EXAMPLE });
  const value: unknown = doc.toJS();
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${file}: the sign-off must be a mapping of ${KEYS.join(', ')}`, { hint: EXAMPLE });
  const where = (key: string): string => {
    const node = doc.getIn([key], true) as { range?: [number, number] } | undefined;
    const pos = node?.range ? lines.linePos(node.range[0]) : null;
    return pos ? `${file}:${pos.line}:${pos.col} ${key}` : `${file} ${key}`;
  };
  const m = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(m)) if (!(KEYS as readonly string[]).includes(k)) problems.push(`${where(k)}: unknown key (the keys are ${KEYS.join(', ')})`);
  const text1 = (k: (typeof KEYS)[number]): string => {
    const v = m[k];
    if (v === undefined || v === null) return '';
    if (typeof v === 'string' || typeof v === 'number') return String(v).trim();
    // an unquoted date is a string in YAML 1.2's core schema; a Date here would come from an explicit !!timestamp
    if (v instanceof Date) return v.toISOString().slice(0, 10);
    problems.push(`${where(k)}: must be a text`);
    return '';
  };
  const signOff: SignOff = { preparedBy: text1('preparedBy'), reviewedBy: text1('reviewedBy'), decision: text1('decision'), date: text1('date'), deviations: [] };
  const d = m.deviations;
  if (typeof d === 'string') signOff.deviations = d.split('\n').map((l) => l.trim()).filter(Boolean);
  else if (Array.isArray(d) && d.every((x) => typeof x === 'string')) signOff.deviations = d.map((x) => x.trim()).filter(Boolean);
  else if (d !== undefined && d !== null) problems.push(`${where('deviations')}: must be a list of texts (or one text)`);
  if (problems.length) throw new UsageError(problems.sort().join('\n'), { hint: EXAMPLE });
  return signOff;
}
