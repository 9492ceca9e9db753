import { withApi, type ApiWaitOptions } from './api-wait.js';
import type { KubeClients } from '../kube/index.js';
import { errorMessage, type Cancel, type Clock, type Logger } from '../core/index.js';
import { ChangedSinceFault, faultDefinition, FaultError, type FaultContext, type FaultPlan, type ManualOperator, type NodeDetectionTimings, type FaultDefinition, type Journal, type LiveFault, type RevertRecord } from '../faults/index.js';
import type { ActionSpec } from '../plan/index.js';
import type { CaseEvent } from '../results/index.js';
import { REVERT_ATTEMPTS, describeChanged, revertWithRetries } from './revert.js';

export type EmitEvent = (e: Omit<CaseEvent, 't' | 'offsetMs'> & { t?: number }) => void;

interface Applied {
  action: ActionSpec;
  entryId: string;
  revert: RevertRecord;
  def: FaultDefinition;
  summary: string;
  injection?: Injection;
  /** what the fault keeps running in this process (AppliedFault.live): stopping it is this run's revert */
  live?: LiveFault;
}

/** An injection that took effect: when (offsets from the origin), and what the fault reported. */
export interface Injection {
  action: ActionSpec;
  atMs: number;
  /** when its revert finished; null while it is in place (or when it has no revert) */
  revertedAtMs: number | null;
  data: Record<string, unknown> | undefined;
}

export interface TimelineDeps {
  runId: string;
  caseId: string;
  planDir: string;
  planFile?: string;
  kubeconfig?: string;
  kube?: KubeClients;
  operator?: ManualOperator;
  /** the embedded cluster's node-failure detection in force for the case (node-loss derives its bound from it) */
  nodeTimings?: NodeDetectionTimings;
  clock: Clock;
  log: Logger;
  journal: Journal;
  emit: EmitEvent;
  signal: AbortSignal;
  /** first injection begins (offset from the origin) */
  onFaultStart: (offsetMs: number) => void;
  /** every fault of the case is over: reverted, or done when it has no revert */
  onFaultEnd: (offsetMs: number) => void;
  /** an injection took effect (after apply) */
  onInjected?: (injection: Injection) => void;
  /** throws when no fault may be injected any more (the run lost its cluster lease) */
  permitInjection?: () => void;
  /** where a fault kind's definition comes from (default the built-in registry); tests pass their own */
  faults?: (kind: string) => FaultDefinition | undefined;
}

/**
 * The triggering actions of a case. Each action is journaled with its revert before it acts;
 * what it changed goes on a LIFO teardown stack. Reverts happen at `revertAfter`, on an
 * injection error, and at `finish()` (end of case, abort rule, interruption), newest first;
 * each revert is retried, isolated, and its failure collected.
 */
export class Timeline {
  private readonly stack: Applied[] = [];
  /** actions not injected yet, and reverts not due yet */
  private readonly injectTimers = new Set<Cancel>();
  private readonly revertTimers = new Set<Cancel>();
  private readonly running = new Set<Promise<void>>();
  private remaining: number;
  private originMs = 0;
  private ended = false;
  private markAllDone!: () => void;
  private readonly allDone = new Promise<void>((resolve) => (this.markAllDone = resolve));
  /**
   * Actions a case without load still waits for: not yet injected, or due to be reverted (revertAfter).
   * A fault reverted only at the case's end does not hold the case open: nothing else would end it.
   */
  private unsettled: number;
  private markSettled!: () => void;
  private readonly allSettled = new Promise<void>((resolve) => (this.markSettled = resolve));
  private readonly settledActions = new Set<ActionSpec>();
  readonly injectFailures: string[] = [];
  /** injections that took effect, in order */
  readonly injections: Injection[] = [];
  readonly revertFailures: string[] = [];

  constructor(
    private readonly actions: readonly ActionSpec[],
    private readonly d: TimelineDeps,
  ) {
    this.remaining = actions.length;
    this.unsettled = actions.length;
  }

  start(originMs: number): void {
    this.originMs = originMs;
    for (const action of this.actions) this.at(this.injectTimers, action.atMs, () => this.inject(action));
  }

  /**
   * For cases without load: resolves when every action is over or in place until the case's end (a fault
   * without revertAfter), or when `signal` aborts.
   */
  async settled(signal: AbortSignal): Promise<void> {
    if (this.remaining <= 0 || this.unsettled <= 0 || signal.aborted) return;
    await new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => resolve(), { once: true });
      void this.allDone.then(resolve);
      void this.allSettled.then(resolve);
    });
  }

  /** Cancels actions not yet due, waits for those running, and reverts everything left, newest first. */
  async finish(): Promise<void> {
    for (const cancel of [...this.injectTimers, ...this.revertTimers]) cancel();
    this.revertTimers.clear();
    if (this.injectTimers.size > 0) {
      this.d.emit({ kind: 'note', detail: `${this.injectTimers.size} action(s) not injected: the case ended first` });
      this.remaining -= this.injectTimers.size;
      this.injectTimers.clear();
    }
    await Promise.all([...this.running]);
    while (this.stack.length > 0) {
      const applied = this.stack[this.stack.length - 1] as Applied;
      this.d.emit({ kind: 'note', name: applied.action.name, detail: `reverting ${applied.action.name}: ${applied.summary}` });
      await this.revert(applied);
    }
    this.checkEnd();
  }

  private at(timers: Set<Cancel>, offsetMs: number, fn: () => Promise<void>): void {
    const delay = this.originMs + offsetMs - this.d.clock.now();
    const cancel = this.d.clock.after(Math.max(0, delay), () => {
      timers.delete(cancel);
      const p = fn().finally(() => this.running.delete(p));
      this.running.add(p);
    });
    timers.add(cancel);
  }

  private context(action: ActionSpec): FaultContext {
    return { runId: this.d.runId, caseId: this.d.caseId, step: action.name, clock: this.d.clock, log: this.d.log.child({ step: action.name, fault: action.kind }), signal: this.d.signal, planDir: this.d.planDir, action, ...(this.d.planFile ? { planFile: this.d.planFile } : {}), ...(this.d.kubeconfig ? { kubeconfig: this.d.kubeconfig } : {}), ...(this.d.kube ? { kube: this.d.kube } : {}), ...(this.d.operator ? { operator: this.d.operator } : {}), ...(this.d.nodeTimings ? { nodeTimings: this.d.nodeTimings } : {}) };
  }

  private apiWait(what: string): ApiWaitOptions {
    return { kube: this.d.kube, clock: this.d.clock, what, progress: (detail) => this.d.emit({ kind: 'note', detail }) };
  }

  /** Resolves the action's fault, journals its intent and revert, then acts (`apply`). */
  private async inject(action: ActionSpec): Promise<void> {
    const def = (this.d.faults ?? faultDefinition)(action.kind);
    const started = this.d.clock.now();
    const fail = (message: string) => {
      this.injectFailures.push(`${action.name}: ${message}`);
      this.d.emit({ kind: 'inject', name: action.name, ok: false, t: started, durationMs: this.d.clock.now() - started, detail: message });
      this.done(action);
    };
    if (!def) return fail(`fault ${action.kind} is not available in this build of crt`);
    const ctx = this.context(action);
    let plan: FaultPlan;
    try {
      // a fault that needs the API waits for it while a control-plane fault holds it down
      plan = await withApi(() => def.create(action).plan(ctx), this.apiWait(`inject ${action.name}`));
    } catch (err) {
      return fail(`could not resolve: ${errorMessage(err)}`);
    }
    try {
      // the last moment before acting: a run that lost its cluster lease injects nothing more
      this.d.permitInjection?.();
    } catch (err) {
      return fail(`not injected: ${errorMessage(err)}`);
    }
    let entryId: string;
    try {
      entryId = await this.d.journal.intend({ caseId: this.d.caseId, step: action.name, fault: action.kind, summary: plan.summary, targets: plan.targets, revert: plan.revert });
    } catch (err) {
      return fail(`not injected: the journal could not record it (${errorMessage(err)})`);
    }
    await this.apply(action, def, plan, entryId);
  }

  /** Acts on a journaled action; what it changed goes on the stack, and its revert is scheduled (revertAfter). */
  private async apply(action: ActionSpec, def: FaultDefinition, plan: FaultPlan, entryId: string): Promise<void> {
    const appliedAt = this.d.clock.now();
    this.d.onFaultStart(appliedAt - this.originMs);
    const applied: Applied | null = plan.revert ? { action, entryId, revert: plan.revert, def, summary: plan.summary } : null;
    let out: Awaited<ReturnType<FaultPlan['apply']>>;
    try {
      out = await plan.apply({ changed: (set) => this.changed(applied, set) });
      await this.mark(entryId, 'applied', out.detail);
      this.d.emit({ kind: 'inject', name: action.name, ok: true, t: appliedAt, durationMs: this.d.clock.now() - appliedAt, detail: out.detail ? `${plan.summary}: ${out.detail}` : plan.summary, ...(out.data ? { data: out.data } : {}) });
    } catch (err) {
      const detail = err instanceof FaultError && err.detail ? `${err.message}\n${err.detail.slice(-500)}` : errorMessage(err);
      await this.mark(entryId, 'apply-failed', detail);
      this.injectFailures.push(`${action.name}: ${errorMessage(err)}`);
      this.d.emit({ kind: 'inject', name: action.name, ok: false, t: appliedAt, durationMs: this.d.clock.now() - appliedAt, detail: errorMessage(err) });
      // a failed injection may have changed part of what it meant to: revert it too
      if (applied) await this.revert(applied);
      else this.done(action);
      return;
    }
    const injection: Injection = { action, atMs: appliedAt - this.originMs, revertedAtMs: null, data: out.data };
    this.injections.push(injection);
    this.d.onInjected?.(injection);
    if (!applied) return this.done(action);
    applied.injection = injection;
    applied.live = out.live;
    this.stack.push(applied);
    if (action.revertAfterMs !== null) this.at(this.revertTimers, appliedAt - this.originMs + action.revertAfterMs, () => this.revert(applied));
    else this.settle(action);
  }

  /** What the fault set, once known, goes to the journal at once and to the revert of this run. */
  private async changed(applied: Applied | null, set: Record<string, unknown>): Promise<void> {
    if (!applied) return;
    applied.revert = { ...applied.revert, set: { ...applied.revert.set, ...set } };
    try {
      await this.d.journal.recordSet(applied.entryId, set);
    } catch (err) {
      this.d.log.error({ entry: applied.entryId, err: errorMessage(err) }, 'journal write failed');
    }
  }

  private async revert(applied: Applied): Promise<void> {
    const idx = this.stack.indexOf(applied);
    if (idx >= 0) this.stack.splice(idx, 1);
    const started = this.d.clock.now();
    try {
      const live = applied.live;
      const once = live ? () => live.stop() : () => revertWithRetries(applied.def, applied.revert, this.context(applied.action), (attempt, err) => this.d.log.warn({ step: applied.action.name, attempt, err }, 'revert failed'));
      // a control-plane revert is what brings the API back: it never waits for it
      const detail = applied.action.kind === 'control-plane' ? await once() : await withApi(once, this.apiWait(`revert ${applied.action.name}`));
      await this.mark(applied.entryId, 'reverted', detail);
      if (applied.injection) applied.injection.revertedAtMs = this.d.clock.now() - this.originMs;
      this.d.emit({ kind: 'revert', name: applied.action.name, ok: true, t: started, durationMs: this.d.clock.now() - started, detail });
    } catch (err) {
      const lastError = err instanceof ChangedSinceFault ? describeChanged(err) : errorMessage(err);
      await this.mark(applied.entryId, 'revert-failed', lastError);
      this.revertFailures.push(`${this.d.caseId}/${applied.action.name}: ${lastError}`);
      const detail = err instanceof ChangedSinceFault ? `not reverted: ${lastError}` : `revert failed after ${REVERT_ATTEMPTS} attempts: ${lastError}`;
      this.d.emit({ kind: 'revert', name: applied.action.name, ok: false, t: started, durationMs: this.d.clock.now() - started, detail });
    }
    this.done(applied.action);
  }

  /** Records an outcome; a journal that fails after the intent was written is logged, not fatal. */
  private async mark(id: string, status: Parameters<Journal['mark']>[1], detail?: string): Promise<void> {
    try {
      await this.d.journal.mark(id, status, detail);
    } catch (err) {
      this.d.log.error({ entry: id, status, err: errorMessage(err) }, 'journal write failed');
    }
  }

  private done(action: ActionSpec): void {
    this.remaining--;
    this.settle(action);
    this.checkEnd();
  }

  /** The action no longer holds a case without load open (once per action). */
  private settle(action: ActionSpec): void {
    if (this.settledActions.has(action)) return;
    this.settledActions.add(action);
    if (--this.unsettled <= 0) this.markSettled();
  }

  /** Says once that every fault is over (the last revert, or `finish` of a case whose actions all ended). */
  private checkEnd(): void {
    if (this.remaining > 0 || this.ended) return;
    this.ended = true;
    this.d.onFaultEnd(this.d.clock.now() - this.originMs);
    this.markAllDone();
  }
}
