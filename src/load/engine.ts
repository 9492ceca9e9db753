import type { Logger } from '../core/index.js';
import type { LoadSpec } from '../plan/index.js';
import type { ExpectationResult, LoadSample } from '../results/index.js';

/** A load whose target has been resolved to a URL, with the target's headers merged in. */
export interface ResolvedLoad {
  spec: LoadSpec;
  /** name shown in results: the target name, or the URL's host */
  targetName: string;
  url: string;
  headers: Record<string, string>;
}

/** Messages a generator sends while it runs (plain data: they cross thread boundaries). */
export type GeneratorMessage =
  /** every second ending before `upToSec` is final for this generator */
  | { type: 'samples'; generator: number; upToSec: number; samples: LoadSample[] }
  | { type: 'stage'; generator: number; stage: number; at: number }
  | { type: 'done'; generator: number; at: number }
  /** `cause: 'fd-limit'`: connections failed for want of file descriptors here (EMFILE/ENFILE), a failure of the generator's machine */
  | { type: 'error'; generator: number; message: string; cause?: 'fd-limit' }
  /** the engine judged expectations of its own (k6 thresholds): they join the case's */
  | { type: 'expectations'; generator: number; results: ExpectationResult[] };

/** Where an engine that writes to InfluxDB itself (k6) sends its points: the plan's `sinks.influx`. */
export interface InfluxTarget {
  url: string;
  database: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  token?: string;
}

export interface PrepareContext {
  /** upper bound for stages that only have a request count */
  maxStageMs: number;
  log: Logger;
  /** run and case ids, for the tags of engines that export their own points */
  runId?: string;
  caseId?: string;
  /** a folder of the run where the engine may keep its files (script, raw output) */
  workDir?: string;
  influx?: InfluxTarget;
}

/** Generators booted and connected to nothing yet, waiting for second 0. */
export interface PreparedLoad {
  /**
   * Starts the generators with second 0 at `originMs` and yields their messages until every
   * generator has finished (by its schedule, or soon after `signal` aborts: requests in flight
   * are then abandoned, samples so far are kept). Samples arrive ~15 ms after each second ends.
   */
  start(originMs: number, signal: AbortSignal): AsyncIterable<GeneratorMessage>;
  /**
   * Makes every connection be replaced by a new one at its next request (a network cut that a CNI
   * applies only to new connections is then seen by the load). Optional: engines that cannot say so.
   */
  reconnect?(): void;
  /** Releases generators that will not be started. */
  dispose(): Promise<void>;
}

/**
 * Drives HTTP load and reports what clients saw. Engines know nothing of faults or phases:
 * the runner cuts phases from event timestamps.
 */
export interface LoadEngine {
  readonly name: string;
  /** Version of the engine, checked once before a run (throws EnvironmentError when unavailable). */
  version(): Promise<string>;
  /** Boots the generators of a load (threads, processes) so that starting it is immediate. */
  prepare(load: ResolvedLoad, ctx: PrepareContext): Promise<PreparedLoad>;
}
