import { errorMessage, formatDuration } from '../core/index.js';
import type { GeneratorMessage, PreparedLoad } from '../load/index.js';
import { plannedLoadMs, type CaseSpec } from '../plan/index.js';
import { decodeHistogram, summarize, type ExpectationResult, type GeneratorLimitedSecond, type Phase, type TimeseriesRecord } from '../results/index.js';
import { AbortWatch, type AbortHit } from './abort-rules.js';
import type { CaseEvents } from './case-events.js';
import type { RunObserver } from './observer.js';
import type { PhaseTracker } from './phases.js';
import { SecondAssembler, type FinalSecond } from './seconds.js';
import type { SinkSet } from '../metrics/index.js';

export interface LoadOutcome {
  records: TimeseriesRecord[];
  /** first start of each stage, epoch ms */
  stageStarts: Map<number, number>;
  /** offset at which the load stopped sending (planned end, or the abort) */
  endMs: number;
  abortHit: AbortHit | null;
  generatorErrors: string[];
  /** a generator ran out of file descriptors on this machine (EMFILE/ENFILE): its message, or null */
  fdExhausted: string | null;
  /** highest event-loop utilisation of a generator in any second, 0..1 */
  maxElu: number;
  /** the seconds in which a generator was saturated, in order */
  generatorLimited: GeneratorLimitedSecond[];
  /** expectations the engine judged itself (k6 thresholds) */
  engineExpectations: ExpectationResult[];
}

interface Deps {
  c: CaseSpec;
  runId: string;
  targetName: string;
  originMs: number;
  now: () => number;
  events: CaseEvents;
  tracker: PhaseTracker;
  sinks: SinkSet;
  observer: RunObserver;
  /** aborting it stops the load; the case aborts it itself when an abort rule fires */
  abort: AbortController;
}

/**
 * Drives one case's load to its end: assembles the generators' seconds, tags each with its
 * phase, streams it to the sinks, watches the abort rules and reports progress.
 */
export async function driveLoad(prepared: PreparedLoad, d: Deps): Promise<LoadOutcome> {
  const driver = new LoadDriver(d);
  const load = driver.load;
  d.events.emit({ kind: 'load-start', t: d.originMs, detail: `${load.generators} generator(s), ${load.stages.length} stage(s)` });
  try {
    for await (const m of prepared.start(d.originMs, d.abort.signal)) driver.handle(m);
  } catch (err) {
    driver.out.generatorErrors.push(errorMessage(err));
  }
  return driver.end();
}

/** The state of one load as its messages arrive: the outcome so far, the current phase and stage. */
class LoadDriver {
  readonly load: NonNullable<CaseSpec['load']>;
  readonly out: LoadOutcome = { records: [], stageStarts: new Map(), endMs: 0, abortHit: null, generatorErrors: [], fdExhausted: null, maxElu: 0, generatorLimited: [], engineExpectations: [] };
  private readonly assembler: SecondAssembler;
  private readonly watch: AbortWatch;
  private readonly planned: number | null;
  private phase: Phase | null = null;
  private currentStage: string | null = null;
  private lastDone: number;

  constructor(private readonly d: Deps) {
    this.load = d.c.load as NonNullable<CaseSpec['load']>;
    this.assembler = new SecondAssembler(this.load.generators);
    this.watch = new AbortWatch(d.c.abortIf);
    this.planned = plannedLoadMs(this.load);
    this.lastDone = d.originMs;
  }

  handle(m: GeneratorMessage): void {
    const { out, d, load } = this;
    if (m.type === 'stage' && !out.stageStarts.has(m.stage)) {
      out.stageStarts.set(m.stage, m.at);
      this.currentStage = load.stages[m.stage]?.name ?? String(m.stage);
      if (load.stages.length > 1) d.events.emit({ kind: 'stage', name: this.currentStage, t: m.at });
    } else if (m.type === 'error') {
      const text = `generator ${m.generator}: ${m.message}`;
      out.generatorErrors.push(text);
      // the case's verdict names a machine out of file descriptors before any other generator error
      if (m.cause === 'fd-limit') out.fdExhausted ??= text;
      d.events.emit({ kind: 'error', name: `generator ${m.generator}`, detail: m.message });
    } else if (m.type === 'done') {
      this.lastDone = Math.max(this.lastDone, m.at);
    } else if (m.type === 'expectations') {
      out.engineExpectations.push(...m.results);
    }
    for (const s of this.assembler.add(m)) this.onSecond(s);
  }

  /** The seconds still held, then where the load stopped sending: its planned end, the abort, or its last generator. */
  end(): LoadOutcome {
    const { out, d } = this;
    for (const s of this.assembler.finish()) this.onSecond(s);
    const abortedAt = d.abort.signal.aborted ? d.now() - d.originMs : Infinity;
    out.endMs = Math.round(Math.min(abortedAt, this.planned ?? this.lastDone - d.originMs, this.lastDone - d.originMs));
    d.events.emit({ kind: 'load-end', t: d.originMs + out.endMs });
    return out;
  }

  private onSecond(s: FinalSecond): void {
    const { out, d } = this;
    const tagged = d.tracker.onSecond(s.sec, s.merged);
    if (tagged !== this.phase) {
      this.phase = tagged;
      d.events.emit({ kind: 'phase', name: tagged, t: d.originMs + s.sec * 1000 });
    }
    const records = s.samples.map((x): TimeseriesRecord => ({ ...x, run: d.runId, case: d.c.id, layer: d.c.layer, phase: tagged, target: d.targetName }));
    out.records.push(...records);
    d.sinks.writeSamples(records);
    out.maxElu = Math.max(out.maxElu, s.merged.elu);
    if (s.merged.saturated) {
      out.generatorLimited.push({ sec: s.sec, elu: s.merged.elu, requests: s.merged.requests, latency: summarize(decodeHistogram(s.merged.latency)) });
    }
    const hit = this.watch.onSecond(s.merged);
    if (hit && !out.abortHit && !d.abort.signal.aborted) {
      out.abortHit = hit;
      d.events.emit({ kind: 'abort', name: hit.rule.text, detail: `abort rule "${hit.rule.text}" held over the ${formatDuration(hit.rule.windowMs)} up to ${formatDuration(hit.atMs)}` });
      d.abort.abort(new Error(`abort rule ${hit.rule.text}`));
    }
    this.progress(s, tagged);
  }

  private progress(s: FinalSecond, phase: Phase): void {
    const m = s.merged;
    try {
      this.d.observer.caseProgress?.(this.d.c, {
        phase, sec: s.sec, elapsedMs: (s.sec + 1) * 1000, plannedMs: this.planned, stage: this.currentStage,
        requests: m.requests, failed: m.requests - m.ok,
        errorRate: m.requests ? (m.requests - m.ok) / m.requests : null,
        p95Ms: summarize(decodeHistogram(m.latency))?.p95 ?? null,
      });
    } catch {
      // progress rendering must never break a run
    }
  }
}
