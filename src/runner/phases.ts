import type { RecoverySettings } from '../plan/index.js';
import type { LoadSample, Phase, RecoveryResult } from '../results/index.js';

/**
 * Cuts a case into phases from event times and the per-second results, as they arrive:
 * - baseline: before the first injection;
 * - fault: from the first injection until every fault is over (reverted, or done when it has no revert);
 * - recovery: from the end of the fault until `stableFor` consecutive good seconds have been seen;
 * - after: the rest of the load.
 * A second belongs to the phase its midpoint falls in; the tag given to a second as it arrives
 * is final, so the stream (sinks) and the report agree. It also measures the client view of
 * recovery: from the first injection to the last failure (or silent second) before the first
 * streak of `stableFor` good seconds that follows a bad second. A second is good when it had
 * answers and its success rate ≥ `successRate`.
 */
export class PhaseTracker {
  private faultStartMs: number | null = null;
  private faultEndMs: number | null = null;
  private recoveryEndMs: number | null = null;
  private readonly need: number;
  // client recovery
  private seenBad = false;
  private streakStart: number | null = null;
  private postFaultStreak = 0;
  private recoveredAtMs: number | null = null;
  /** end of the last bad second that had no answer at all: recovery cannot be earlier */
  private lastSilentEndMs = 0;
  private firstFailureMs: number | null = null;
  private lastFailureMs: number | null = null;
  private failedDuringOutage = 0;

  constructor(
    private readonly settings: RecoverySettings,
    private readonly originMs: number,
  ) {
    this.need = Math.max(1, Math.ceil(settings.stableForMs / 1000));
  }

  faultStarted(offsetMs: number): void {
    this.faultStartMs ??= Math.round(offsetMs);
  }

  faultEnded(offsetMs: number): void {
    if (this.faultStartMs !== null) this.faultEndMs ??= Math.max(Math.round(offsetMs), this.faultStartMs);
  }

  /** The phase of second `sec`; updates recovery detection with its merged sample. */
  onSecond(sec: number, merged: LoadSample): Phase {
    const mid = sec * 1000 + 500;
    const phase = this.phaseAt(mid);
    if (this.faultStartMs === null || mid < this.faultStartMs) return phase;
    const good = merged.requests > 0 && merged.ok / merged.requests >= this.settings.successRate;
    const failed = merged.requests - merged.ok;
    if (this.recoveredAtMs === null) {
      this.failedDuringOutage += failed;
      if (merged.firstFailureAt !== undefined) this.firstFailureMs ??= Math.round(merged.firstFailureAt - this.originMs);
      if (merged.lastFailureAt !== undefined) this.lastFailureMs = Math.round(merged.lastFailureAt - this.originMs);
    }
    if (!good) {
      this.seenBad = true;
      this.streakStart = null;
      if (merged.requests === 0) this.lastSilentEndMs = (sec + 1) * 1000;
    } else {
      this.streakStart ??= sec;
      if (this.seenBad && this.recoveredAtMs === null && sec - this.streakStart + 1 >= this.need) {
        // the exact instant of the last failure, not the second boundary: ms precision where the data has it
        this.recoveredAtMs = Math.max(this.lastFailureMs ?? 0, this.lastSilentEndMs, this.faultStartMs);
      }
    }
    if (this.faultEndMs !== null && mid >= this.faultEndMs && this.recoveryEndMs === null) {
      this.postFaultStreak = good ? this.postFaultStreak + 1 : 0;
      if (this.postFaultStreak >= this.need) this.recoveryEndMs = (sec + 1) * 1000;
    }
    return phase;
  }

  phaseAt(offsetMs: number): Phase {
    if (this.faultStartMs === null || offsetMs < this.faultStartMs) return 'baseline';
    if (this.faultEndMs === null || offsetMs < this.faultEndMs) return 'fault';
    if (this.recoveryEndMs === null || offsetMs < this.recoveryEndMs) return 'recovery';
    return 'after';
  }

  /** Phase windows (offsets, end exclusive) of a load that ended at `endMs`; empty phases left out. */
  windows(endMs: number): Array<{ name: Phase; startMs: number; endMs: number }> {
    const bounds: Array<[Phase, number | null]> = [
      ['baseline', 0],
      ['fault', this.faultStartMs],
      ['recovery', this.faultEndMs],
      ['after', this.recoveryEndMs],
    ];
    const out: Array<{ name: Phase; startMs: number; endMs: number }> = [];
    bounds.forEach(([name, start], i) => {
      if (start === null) return;
      const next = bounds.slice(i + 1).find(([, s]) => s !== null)?.[1] ?? endMs;
      const s = Math.min(start, endMs);
      const e = Math.min(next, endMs);
      if (e > s) out.push({ name, startMs: s, endMs: e });
    });
    return out;
  }

  recovery(): RecoveryResult | null {
    if (this.faultStartMs === null) return null;
    return {
      injectedAtMs: this.faultStartMs,
      successRate: this.settings.successRate,
      stableForMs: this.settings.stableForMs,
      impact: this.seenBad,
      firstFailureMs: this.firstFailureMs,
      lastFailureMs: this.lastFailureMs,
      recoveredAtMs: this.seenBad ? this.recoveredAtMs : this.faultStartMs,
      recoveryTimeMs: !this.seenBad ? 0 : this.recoveredAtMs === null ? null : Math.max(0, this.recoveredAtMs - this.faultStartMs),
      failedRequests: this.failedDuringOutage,
    };
  }
}
