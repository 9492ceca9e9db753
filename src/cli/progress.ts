import { formatDuration, formatMs, formatPercent } from '../core/index.js';
import type { CaseSpec } from '../plan/index.js';
import type { CaseEvent, CaseResult, RunResult } from '../results/index.js';
import type { CaseProgress, RunObserver } from '../runner/index.js';

/** Where the renderer writes: stderr in the CLI, a buffer in tests. */
export interface ProgressOut {
  write(text: string): void;
  isTTY?: boolean;
}

const VERDICT_MARK: Record<CaseResult['verdict'], string> = {
  passed: 'PASS', failed: 'FAIL', aborted: 'ABORTED', inconclusive: 'INCONCLUSIVE', 'not-run': 'NOT RUN', skipped: 'SKIPPED',
};

/**
 * Live progress of a run, for people: on a terminal one status line rewritten every second;
 * elsewhere (CI logs) a line every `everySec` seconds. Events (faults, phases, conditions) are
 * always printed on their own line.
 */
export class ProgressView implements RunObserver {
  private statusShown = false;
  private index = 0;
  private total = 0;

  constructor(
    private readonly out: ProgressOut,
    private readonly everySec = 5,
  ) {}

  /** Cases started so far: 0 when a run was refused during its set-up. */
  get casesStarted(): number {
    return this.index;
  }

  runStarted(info: { runId: string; dir: string; cases: readonly CaseSpec[] }): void {
    this.total = info.cases.length;
    this.line(`run ${info.runId}: ${info.cases.length} case(s); results in ${info.dir}`);
  }

  notice(message: string): void {
    this.line(message);
  }

  caseStarted(c: CaseSpec): void {
    this.index++;
    this.line(`\n[${this.index}/${this.total}] ${c.id} (${c.layer}) ${c.title}`);
  }

  caseEvent(c: CaseSpec, e: CaseEvent): void {
    const text = describeEvent(e);
    if (text) this.line(`  ${formatOffset(e.offsetMs)} ${text}`);
  }

  caseProgress(c: CaseSpec, p: CaseProgress): void {
    const planned = p.plannedMs !== null ? `/${formatDuration(p.plannedMs)}` : '';
    const draining = p.plannedMs !== null && p.elapsedMs > p.plannedMs;
    const elapsed = formatDuration(draining ? (p.plannedMs as number) : p.elapsedMs);
    const text = `  ${c.id} ${p.phase.padEnd(8)} ${elapsed}${planned}${draining ? ' draining' : ''}${p.stage && p.stage !== 'main' ? ` ${p.stage}` : ''}  ${p.requests} req/s  p95 ${formatMs(p.p95Ms)}  errors ${p.failed} (${formatPercent(p.errorRate)})`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${text}`);
      this.statusShown = true;
    } else if ((p.sec + 1) % this.everySec === 0) {
      this.out.write(`${text}\n`);
    }
  }

  caseFinished(c: CaseSpec, r: CaseResult): void {
    const failed = r.expectations.filter((e) => e.verdict === 'failed').length;
    const checks = r.expectations.length ? ` (${r.expectations.length - failed}/${r.expectations.length} expectations hold)` : '';
    this.line(`${VERDICT_MARK[r.verdict]} ${c.id}${checks} in ${formatDuration(r.durationMs)}${r.reason ? `: ${r.reason}` : ''}`);
  }

  runFinished(r: RunResult): void {
    const c = r.counts;
    const parts = [`${c.passed} passed`, c.failed && `${c.failed} failed`, c.aborted && `${c.aborted} aborted`, c.inconclusive && `${c.inconclusive} inconclusive`, c.notRun && `${c.notRun} not run`, c.skipped && `${c.skipped} skipped`].filter(Boolean);
    // the run's outcome (regressions and reverts included) is the last line crt run prints: here, the cases only
    this.line(`\ncases: ${parts.join(', ')} of ${c.total} in ${formatDuration(r.durationMs)}`);
  }

  /** Prints a line, first clearing the rewritten status line if there is one. */
  line(text: string): void {
    if (this.statusShown) {
      this.out.write('\r\x1b[2K');
      this.statusShown = false;
    }
    this.out.write(`${text}\n`);
  }
}

function formatOffset(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(1)}s`.padStart(8);
}

function describeEvent(e: CaseEvent): string | null {
  const ok = e.ok === undefined ? '' : e.ok ? 'ok' : 'FAILED';
  const took = e.durationMs !== undefined ? ` (${formatDuration(e.durationMs)})` : '';
  switch (e.kind) {
    case 'condition':
      return `condition ${e.name}: ${ok}${took} — ${e.detail ?? ''}`;
    case 'inject':
      return `inject ${e.name}: ${ok}${took} — ${e.detail ?? ''}`;
    case 'revert':
      return `revert ${e.name}: ${ok}${took} — ${e.detail ?? ''}`;
    case 'phase':
      return `phase ${e.name}`;
    case 'stage':
      return `stage ${e.name}`;
    case 'abort':
      return `ABORT ${e.detail ?? e.name ?? ''}`;
    case 'note':
      return e.detail ?? null;
    case 'error':
      return `error ${e.name ?? ''}: ${e.detail ?? ''}`;
    default:
      return null;
  }
}
