import type { Clock } from '../core/index.js';
import type { SinkSet } from '../metrics/index.js';
import type { CaseSpec } from '../plan/index.js';
import type { CaseEvent } from '../results/index.js';
import type { RunObserver } from './observer.js';
import type { EmitEvent } from './timeline.js';

/**
 * The events of one case: kept for its result, streamed to the sinks and shown to the
 * observer as they happen. Offsets are relative to the load origin, once it is known.
 */
export class CaseEvents {
  readonly list: CaseEvent[] = [];
  originMs: number;

  constructor(
    private readonly c: CaseSpec,
    private readonly runId: string,
    private readonly clock: Clock,
    private readonly sinks: SinkSet,
    private readonly observer: RunObserver,
  ) {
    this.originMs = clock.now();
  }

  readonly emit: EmitEvent = (e) => {
    const t = e.t ?? this.clock.now();
    const event: CaseEvent = { ...e, t: Math.round(t), offsetMs: Math.round(t - this.originMs) };
    if (event.durationMs !== undefined) event.durationMs = Math.round(event.durationMs);
    this.list.push(event);
    this.sinks.writeEvents([{ ...event, run: this.runId, case: this.c.id, layer: this.c.layer }]);
    try {
      this.observer.caseEvent?.(this.c, event);
    } catch {
      // an observer (the terminal renderer) must never break a run
    }
  };

  /** Events recorded before the origin was set get their offsets recomputed. */
  setOrigin(originMs: number): void {
    this.originMs = originMs;
    for (const e of this.list) e.offsetMs = Math.round(e.t - originMs);
  }
}
