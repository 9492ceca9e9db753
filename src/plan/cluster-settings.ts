import { MAX_DURATION_MS, MAX_DURATION_TEXT, formatDuration, isDuration, parseDuration } from '../core/index.js';
import { DATA_PLANE_SETTINGS, dataPlaneOptions, isDataPlaneSetting } from './data-plane-settings.js';
import { DEFAULT_NODE_TIMINGS, NODE_TIMINGS_HINT, nodeTimingProblems, type NodeTimings } from '../vocabulary/index.js';
import type { FileSet } from './files.js';
import type { CaseClusterSettingsDoc, PlanDoc } from './schema.js';
import type { CaseClusterSettings } from './types.js';
import type { DocPath, YamlSource } from './yaml-source.js';
import { location } from './normalize-load.js';

/** The node-failure detection settings a case may change: plan key → the embedded cluster's timing. */
export const NODE_TIMING_SETTINGS = {
  heartbeat: 'heartbeatMs',
  nodeMonitorPeriod: 'nodeMonitorPeriodMs',
  nodeMonitorGracePeriod: 'nodeMonitorGracePeriodMs',
  defaultTolerationSeconds: 'defaultTolerationSeconds',
} as const satisfies Record<string, keyof NodeTimings>;

export type NodeTimingSetting = keyof typeof NODE_TIMING_SETTINGS;

const SETTING_OF = Object.fromEntries(Object.entries(NODE_TIMING_SETTINGS).map(([k, v]) => [v, k])) as Record<keyof NodeTimings, NodeTimingSetting>;

const CONTROL_PLANE_HINT = 'on a real cluster node-failure detection is set by flags: kube-controller-manager --node-monitor-grace-period and --node-monitor-period, '
  + 'the kubelet\'s --node-status-update-frequency, kube-apiserver --default-unreachable-toleration-seconds; change them on the control plane '
  + '(e.g. --node-monitor-grace-period), or run these cases on the embedded cluster (cluster.local)';

/**
 * A setting in the cluster's unit: ms for the durations; seconds for defaultTolerationSeconds, given as a
 * duration (`300s`, `5m`) or a bare number of seconds as the Kubernetes flag takes it. null when malformed.
 */
export function nodeTimingValue(name: NodeTimingSetting, value: unknown): number | null {
  if (name === 'defaultTolerationSeconds' && typeof value === 'number') return value;
  if (typeof value !== 'string' || !isDuration(value)) return null;
  const ms = parseDuration(value);
  return name === 'defaultTolerationSeconds' ? ms / 1000 : ms;
}

/** `heartbeat 500ms, nodeMonitorGracePeriod 2s`: the given timings in the plan's words. */
export function describeNodeTimings(t: Partial<NodeTimings>): string {
  return (Object.keys(NODE_TIMING_SETTINGS) as NodeTimingSetting[])
    .flatMap((name) => {
      const v = t[NODE_TIMING_SETTINGS[name]];
      if (v === undefined) return [];
      return [`${name} ${name === 'defaultTolerationSeconds' ? String(v) : formatDuration(v)}`];
    })
    .join(', ');
}

/**
 * The plan's node timings: the four keys of `cluster.local.settings` over the real cluster's defaults.
 * Malformed or inconsistent values are reported at `cluster.local.settings`; null then.
 */
export function planNodeTimings(doc: PlanDoc, source: YamlSource, files: FileSet): NodeTimings | null {
  const settings = (doc.cluster?.local?.settings ?? {}) as Record<string, unknown>;
  const at: DocPath = ['cluster', 'local', 'settings'];
  const out: NodeTimings = { ...DEFAULT_NODE_TIMINGS };
  let ok = true;
  for (const name of Object.keys(NODE_TIMING_SETTINGS) as NodeTimingSetting[]) {
    if (settings[name] === undefined) continue;
    const value = nodeTimingValue(name, settings[name]);
    if (value === null) {
      files.error(source, [...at, name], `cluster.local.settings.${name} must be a duration such as 30s, not ${JSON.stringify(settings[name])}`);
      ok = false;
    } else if (name !== 'defaultTolerationSeconds' && value > MAX_DURATION_MS) {
      files.error(source, [...at, name], `cluster.local.settings.${name} must be at most ${MAX_DURATION_TEXT}`, 'the embedded cluster waits with Node.js timers, which hold at most 24.8 days');
      ok = false;
    } else {
      out[NODE_TIMING_SETTINGS[name]] = value;
    }
  }
  if (!ok) return null;
  const problems = nodeTimingProblems(out);
  for (const p of problems) files.error(source, at, `invalid embedded cluster settings: ${p}`, NODE_TIMINGS_HINT);
  return problems.length ? null : out;
}

export interface ClusterSettingsContext {
  files: FileSet;
  source: YamlSource;
  cluster: PlanDoc['cluster'];
  /** the plan's timings, computed (and their problems reported) once for every case */
  planTimings: () => NodeTimings | null;
}

/**
 * A case's `clusterSettings:`: refused unless the plan runs the embedded cluster (they model changing
 * control-plane and kubelet flags, which crt does not do to a real cluster), then merged over the plan's
 * timings and checked as the cluster will check them at run time, every problem located.
 */
export function normalizeClusterSettings(doc: CaseClusterSettingsDoc | undefined, at: DocPath, ctx: ClusterSettingsContext): CaseClusterSettings | null {
  if (!doc) return null;
  const { files, source } = ctx;
  if (!ctx.cluster) {
    files.error(source, at, 'clusterSettings changes the embedded cluster\'s node-failure detection: this plan has no cluster', 'add cluster: {local: {nodes: 3, manifests: [...]}} to run the plan on the embedded cluster');
    return null;
  }
  if (!ctx.cluster.local) {
    files.error(source, at, 'clusterSettings applies to the embedded cluster (cluster.local) only: this plan acts on a cluster reached by kubeconfig, whose control plane crt does not reconfigure', CONTROL_PLANE_HINT);
    return null;
  }
  const values: Partial<NodeTimings> = {};
  for (const name of Object.keys(NODE_TIMING_SETTINGS) as NodeTimingSetting[]) {
    const value = doc[name] === undefined ? null : nodeTimingValue(name, doc[name]);
    if (value !== null) values[NODE_TIMING_SETTINGS[name]] = value;
  }
  const plan = ctx.planTimings();
  if (!plan) return null;
  const merged = { ...plan, ...values };
  const problems = nodeTimingProblems(merged);
  for (const p of problems) {
    files.error(source, at, `${p} (this case's ${describeNodeTimings(values)} over the plan's ${describeNodeTimings(plan)})`, NODE_TIMINGS_HINT);
  }
  if (problems.length) return null;
  return { values, plan, location: location(source, at) };
}

/** The plan key of a timing (`heartbeatMs` → `heartbeat`). */
export function settingName(key: keyof NodeTimings): NodeTimingSetting {
  return SETTING_OF[key];
}

/**
 * The data-plane keys of `cluster.local.settings` (endpointPropagationDelay, cni, nodeCpu, …), each
 * checked where it is written: the embedded cluster reads them at start, so a run would trip on a bad one.
 */
export function checkDataPlaneSettings(doc: PlanDoc, source: YamlSource, files: FileSet): void {
  const settings = (doc.cluster?.local?.settings ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(settings)) {
    if (!isDataPlaneSetting(key)) continue;
    try {
      dataPlaneOptions({ [key]: value }, source.display);
    } catch {
      files.error(source, ['cluster', 'local', 'settings', key], `cluster.local.settings.${key} must be ${DATA_PLANE_SETTINGS[key]}, not ${JSON.stringify(value)}`);
    }
  }
}
