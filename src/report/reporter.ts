import type { ClusterEventRecord, ClusterSampleRecord, RunResult, TimeseriesRecord } from '../results/index.js';

/** What a reporter reads: the run, and the per-second samples of `timeseries.jsonl`. */
export interface ReportInput {
  run: RunResult;
  /** every line of timeseries.jsonl (one per generator, stage and second) */
  timeseries: readonly TimeseriesRecord[];
  /** every line of cluster.jsonl (empty when the run had no cluster) */
  cluster: readonly ClusterSampleRecord[];
  /** the key Kubernetes Events of cluster.jsonl (its `kind: event` lines); none when absent */
  clusterEvents?: readonly ClusterEventRecord[];
  /** the run folder: reporters write their files here */
  dir: string;
}

/**
 * Renders a run into files. Called once at the end of `crt run` (after run.json is written)
 * and by `crt report <dir>`; reads result types only.
 */
export interface Reporter {
  readonly name: string;
  /** Writes its files into `input.dir` and returns their paths (relative to the folder). */
  render(input: ReportInput): Promise<string[]>;
}

/**
 * Thrown by a reporter that cannot run here for a reason that is no failure of the run (a PDF
 * without a Chromium): `renderAll` records it as skipped, with the message, and goes on.
 */
export class ReporterSkipped extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'ReporterSkipped';
  }
}
