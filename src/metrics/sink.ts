import type { CaseResult, ClusterEventRecord, ClusterSampleRecord, EventRecord, SinkStatus, TimeseriesRecord } from '../results/index.js';

/**
 * Where the time series and events of a run go while it runs. Writes must not block the run:
 * a sink buffers and flushes on its own schedule. Called through `SinkSet`, which records and
 * logs any failure, so one broken sink never ends a run and never fails silently.
 */
export interface Sink {
  readonly name: string;
  /** Called once before the first case; throws EnvironmentError when misconfigured (exit 3). */
  open?(): Promise<void>;
  /** Called once per second of load with that second's samples (one per generator and stage). */
  writeSamples(records: readonly TimeseriesRecord[]): void;
  /** Called as events happen (faults, phases, stages, conditions). */
  writeEvents(records: readonly EventRecord[]): void;
  /** Called as the cluster changes during a case (from watches); optional for sinks that ignore it. */
  writeClusterSamples?(records: readonly ClusterSampleRecord[]): void;
  /** Called as the cluster watch sees key Kubernetes Events during a case; optional. */
  writeClusterEvents?(records: readonly ClusterEventRecord[]): void;
  /** Called once per case when its verdict is known (verdict, recovery times, expectations). */
  writeCaseResult?(run: string, result: CaseResult): void;
  /** Flushes everything buffered; called at the end of the run, also after an interruption. */
  close(): Promise<void>;
  /** How the sink fared, for run.json and the report. */
  status(): Omit<SinkStatus, 'name'>;
}
