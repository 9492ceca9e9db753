import path from 'node:path';
import { formatDuration } from '../core/index.js';
import type { CaseSpecView } from '../results/index.js';
import { describeNodeTimings } from './cluster-settings.js';
import { plannedDurationMs } from './normalize-load.js';
import { LATENCY_METRICS, SESSION_DURATION_METRICS, type ActionSpec, type Bound, type CaseClusterSettings, type CaseSpec, type LoadSpec, type MetricName, type PhaseExpectation, type ProbeSpec } from './types.js';

/**
 * Plain-language restatement of a case, as the CRT report prints it: the reporters read these
 * lines and need no plan logic.
 */
export function describeCase(c: CaseSpec): CaseSpecView {
  return {
    title: c.title,
    objective: c.objective,
    ...(c.description ? { description: c.description } : {}),
    tags: [...c.tags],
    conditions: c.conditions.map(describeProbe),
    ...(c.clusterSettings ? { clusterSettings: describeClusterSettings(c.clusterSettings) } : {}),
    trigger: c.trigger.map(describeAction),
    expect: describeExpectations(c),
    load: c.load ? describeLoad(c.load) : null,
    abortIf: c.abortIf.map((r) => r.text),
    plannedDurationMs: plannedCaseMs(c),
  };
}

/** One line: what the case sets, and the plan's values the cluster goes back to after it. */
export function describeClusterSettings(s: CaseClusterSettings): string {
  const planned = Object.fromEntries(Object.keys(s.values).map((k) => [k, s.plan[k as keyof typeof s.plan]]));
  const tolerations = s.values.defaultTolerationSeconds !== undefined ? '; defaultTolerationSeconds applies to pods created from the case start' : '';
  return `embedded cluster for this case: ${describeNodeTimings(s.values)} (the plan's ${describeNodeTimings(planned)} set back after it${tolerations})`;
}

export function plannedCaseMs(c: CaseSpec): number | null {
  return plannedDurationMs(c.load, c.trigger);
}

export function describeLoad(l: LoadSpec): string {
  const where = l.url ?? `${l.target ?? '?'}${l.path}`;
  const stages = l.stages.map((s) => {
    const model = s.rateRps !== null ? `${s.rateRps} req/s over ${s.connections} connections` : `${s.connections} connections`;
    const span = [s.durationMs !== null ? formatDuration(s.durationMs) : null, s.requests !== null ? `${s.requests} requests` : null].filter(Boolean).join(' or ');
    return `${model} for ${span}`;
  });
  if (l.script) {
    const span = l.stages[0]?.durationMs ? ` for ${formatDuration(l.stages[0].durationMs)}` : '';
    return `k6 script ${path.basename(l.script)} against ${where}${span}${l.distributed ? `, split over ${l.distributed.generators} k6-operator runners` : ''}`;
  }
  const d = l.distributed;
  const gens = d
    ? `${d.generators} ${d.via === 'job' ? 'workers in the cluster' : 'k6-operator runners'}, each `
    : l.generators > 1 ? `${l.generators} generators${l.staggerMs ? ` started ${formatDuration(l.staggerMs)} apart` : ''}, each ` : '';
  const model = l.stages.some((s) => s.rateRps !== null) ? 'open model' : 'closed model';
  const servedBy = l.servedBy ? `; answers counted by ${l.servedBy}` : '';
  return `${l.method} ${where} — ${model}${l.engine === 'k6' ? ' (k6)' : ''}: ${gens}${stages.join(', then ')}${servedBy}`;
}

/** A plan value as text: strings as they are, anything else as JSON. */
function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function describeProbe(p: ProbeSpec): string {
  const params = p.params;
  let what: string;
  switch (p.kind) {
    case 'http': {
      const where = params.url !== undefined ? text(params.url) : `${text(params.target)}${params.path !== undefined ? text(params.path) : '/'}`;
      const status = params.status === undefined ? '2xx' : ([] as unknown[]).concat(params.status).join(' or ');
      const extra = [
        params.bodyContains !== undefined ? `body contains "${text(params.bodyContains)}"` : null,
        params.bodyMatches !== undefined ? `body matches /${text(params.bodyMatches)}/` : null,
        params.maxLatency !== undefined ? `within ${text(params.maxLatency)}` : null,
      ].filter(Boolean);
      what = `HTTP ${(params.method as string | undefined) ?? 'GET'} ${where} answers ${status}${extra.length ? `, ${extra.join(', ')}` : ''}`;
      break;
    }
    case 'command':
      what = `command \`${text(params.command)}\` exits ${text(params.expectExit ?? 0)}`;
      break;
    default:
      what = `${p.kind} ${Object.entries(params).map(([k, v]) => `${k}=${text(v)}`).join(' ')}`;
  }
  const wait = p.waitForMs ? ` (waiting up to ${formatDuration(p.waitForMs)})` : '';
  return `${p.description ?? what}${wait}`;
}

export function describeAction(a: ActionSpec): string {
  const params = Object.entries(a.params)
    .map(([k, v]) => `${k}=${text(v)}`)
    .join(' ');
  const what = a.description ?? `${a.kind}${params ? ` ${params}` : ''}`;
  const revert = a.revertAfterMs !== null ? `; reverted after ${formatDuration(a.revertAfterMs)}` : '';
  return `at ${formatDuration(a.atMs)}: ${what} [${a.name}]${revert}`;
}

const METRIC_LABEL: Record<MetricName, string> = {
  errorRate: 'error rate', failedRequests: 'failed requests', requests: 'requests', rps: 'req/s',
  mean: 'mean latency', p50: 'p50', p75: 'p75', p90: 'p90', p95: 'p95', p99: 'p99', max: 'max latency',
  sessionsDropped: 'sessions dropped', messagesLost: 'messages lost', minSessions: 'fewest sessions open',
  reconnectP95: 'reconnect time p95', reconnectMax: 'longest reconnect time',
};

export function describeBound(metric: MetricName | 'recoveryTime' | 'clusterRecoveryTime', b: Bound): string {
  const label = metric === 'recoveryTime' ? 'recovery time' : metric === 'clusterRecoveryTime' ? 'cluster recovery time' : METRIC_LABEL[metric];
  const value = metric === 'errorRate' ? `${Number((b.value * 100).toFixed(3))}%` : [...LATENCY_METRICS, ...SESSION_DURATION_METRICS].includes(metric as MetricName) || metric === 'recoveryTime' || metric === 'clusterRecoveryTime' ? formatDuration(b.value) : String(b.value);
  return `${label} ${b.bound === 'max' ? '≤' : '≥'} ${value}`;
}

/** `share of answers served by 1.1 ≥ 10%`, `backends seen ≥ 2`, or a metric's bound. */
export function describePhaseBound(e: Pick<PhaseExpectation, 'metric' | 'servedByValue' | 'bound' | 'value' | 'text'>): string {
  const op = e.bound === 'max' ? '≤' : '≥';
  if (e.metric === 'servedBy') return `share of answers with ${e.servedByValue ?? ''} ${op} ${Number((e.value * 100).toFixed(3))}%`;
  if (e.metric === 'backends') return `distinct backends ${op} ${e.value}`;
  return describeBound(e.metric, e);
}

function describeExpectations(c: CaseSpec): string[] {
  const lines = c.expect.phases.map((e) => `${e.phase}: ${describePhaseBound(e)}`);
  lines.push(...c.expect.recoveryTime.map((b) => describeBound('recoveryTime', b)));
  lines.push(...c.expect.clusterRecoveryTime.map((b) => describeBound('clusterRecoveryTime', b)));
  lines.push(...c.expect.probes.map((p) => `after the case: ${describeProbe(p)}`));
  return lines;
}
