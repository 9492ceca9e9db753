import { Redactor } from '../../core/index.js';
import type { LoadSpec, StageSpec, StatusRange } from '../../plan/index.js';

/** What the generated script needs besides the load: where and how long. */
export interface ScriptInput {
  url: string;
  headers: Record<string, string>;
  spec: Pick<LoadSpec, 'method' | 'body' | 'timeoutMs' | 'okStatus' | 'stages'> & Partial<Pick<LoadSpec, 'servedBy'>>;
  /** length of a stage that only has a request count */
  maxStageMs: number;
}

type Scenario = Record<string, unknown>;

const ms = (v: number) => `${Math.round(v)}ms`;

/**
 * The k6 executors of a load. One stage: constant-vus (closed model), constant-arrival-rate
 * (open model) or shared-iterations (a request count). Several closed stages with durations:
 * one ramping-vus scenario whose steps jump at once to each stage's VUs. Otherwise one
 * scenario per stage, chained with `startTime`. Every scenario carries its `stage` tag, except
 * ramping-vus, whose requests are tagged from the elapsed time (see the script).
 */
export function k6Scenarios(stages: readonly StageSpec[], timeoutMs: number, maxStageMs: number): Record<string, Scenario> {
  const stepped = stages.length > 1 && stages.every((s) => s.rateRps === null && s.durationMs !== null && s.requests === null);
  if (stepped) {
    const [first] = stages as [StageSpec, ...StageSpec[]];
    return {
      crt: {
        executor: 'ramping-vus',
        startVUs: first.connections,
        stages: stages.flatMap((s, i) => [
          ...(i > 0 ? [{ duration: '0s', target: s.connections }] : []),
          { duration: ms(s.durationMs as number), target: s.connections },
        ]),
        // VUs above the next stage's count stop at the step, as autocannon's connections do
        gracefulRampDown: '0s',
        gracefulStop: ms(timeoutMs),
      },
    };
  }
  const out: Record<string, Scenario> = {};
  let startMs = 0;
  for (const s of stages) {
    const lengthMs = s.durationMs ?? maxStageMs;
    const common = { startTime: ms(startMs), gracefulStop: ms(timeoutMs), tags: { stage: String(s.index) } };
    const name = stages.length === 1 ? 'crt' : `crt_stage_${s.index}`;
    if (s.requests !== null) {
      out[name] = { executor: 'shared-iterations', vus: s.connections, iterations: s.requests, maxDuration: ms(lengthMs), ...common };
    } else if (s.rateRps !== null) {
      // k6's rate is an integer per timeUnit, and iterations start evenly spaced over it:
      // a fractional rate is given per 1000 s, which keeps the interval exact to the millisecond
      const perSecond = Number.isInteger(s.rateRps);
      out[name] = {
        executor: 'constant-arrival-rate',
        rate: perSecond ? s.rateRps : Math.round(s.rateRps * 1000),
        timeUnit: perSecond ? '1s' : '1000s',
        duration: ms(lengthMs),
        preAllocatedVUs: s.connections,
        maxVUs: s.connections,
        ...common,
      };
    } else {
      out[name] = { executor: 'constant-vus', vus: s.connections, duration: ms(lengthMs), ...common };
    }
    startMs += lengthMs;
  }
  return out;
}

/** `http.expectedStatuses(...)` arguments: single codes as numbers, ranges as {min, max}. */
export function expectedStatuses(ranges: readonly StatusRange[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? String(lo) : `{ min: ${lo}, max: ${hi} }`)).join(', ');
}

/** The k6 metric the generated script counts answers in, tagged `served_by` with the header's value. */
export const SERVED_BY_METRIC = 'crt_served_by';

/** With servedBy: a Counter that tags each answered request with the header's value (k6 gives header names canonicalised). */
function servedByParts(header: string | null | undefined, stepped: boolean): { imports: string; defs: string; count: string } {
  if (!header) return { imports: '', defs: '', count: '' };
  return {
    imports: `import { Counter } from 'k6/metrics';\n`,
    defs: `
const SERVED_BY = ${JSON.stringify(header)};
const servedBy = new Counter(${JSON.stringify(SERVED_BY_METRIC)});

/** the value of the SERVED_BY response header, or (none) */
function servedByValue(res) {
  for (const name in res.headers) if (name.toLowerCase() === SERVED_BY) return res.headers[name] || '(none)';
  return '(none)';
}
`,
    count: `
  // answers with an HTTP status only: a timeout or a refused connection has no backend
  if (res.status > 0) servedBy.add(1, { served_by: servedByValue(res)${stepped ? ', stage: params.tags.stage' : ''} });`,
  };
}

/**
 * A k6 script for a crt load: the executors above, the request with its headers, body and
 * timeout, and `okStatus` as k6's expected statuses (which drive `http_req_failed` and the
 * `expected_response` tag crt reads back). The URL can be overridden by `CRT_URL`; the headers are
 * in `CRT_HEADERS` and the body in `CRT_BODY`, never in the file (their values may be secrets, and the
 * file is an artifact). With
 * `servedBy`, each answer is also counted in the `crt_served_by` Counter by the header's value.
 */
export function generateK6Script(input: ScriptInput): string {
  const { spec } = input;
  const scenarios = k6Scenarios(spec.stages, spec.timeoutMs, input.maxStageMs);
  const stepStarts: number[] = [];
  let at = 0;
  for (const s of spec.stages) {
    stepStarts.push(at);
    at += s.durationMs ?? input.maxStageMs;
  }
  const stepped = scenarios.crt?.executor === 'ramping-vus';
  const served = servedByParts(spec.servedBy, stepped);
  return `// Generated by crt: one HTTP request per iteration. Do not edit: set script: to use your own.
import http from 'k6/http';
import exec from 'k6/execution';
${served.imports}
const URL = __ENV.CRT_URL || ${JSON.stringify(new Redactor().text(input.url))};
const METHOD = ${JSON.stringify(spec.method)};
// the body comes from crt in CRT_BODY (JSON), like the headers: it may hold a secret
const BODY = JSON.parse(__ENV.CRT_BODY || 'null');
// the headers come from crt in CRT_HEADERS: a value may be a secret, and this file stays in the run folder
const HEADERS = JSON.parse(__ENV.CRT_HEADERS || '{}');
const TIMEOUT = ${JSON.stringify(ms(spec.timeoutMs))};
/** start of each stage, ms after the start of the test */
const STAGE_STARTS = ${JSON.stringify(stepStarts)};

http.setResponseCallback(http.expectedStatuses(${expectedStatuses(spec.okStatus)}));
${served.defs}
export const options = {
  scenarios: ${JSON.stringify(scenarios, null, 2).replace(/\n/g, '\n  ')},
  discardResponseBodies: true,
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
};

function stageNow() {
  const elapsed = exec.instance.currentTestRunDuration;
  let stage = 0;
  for (let i = 0; i < STAGE_STARTS.length; i++) if (elapsed >= STAGE_STARTS[i]) stage = i;
  return String(stage);
}

export default function () {
  const params = { headers: HEADERS, timeout: TIMEOUT${stepped ? ', tags: { stage: stageNow() }' : ''} };
  ${served.count ? 'const res = ' : ''}http.request(METHOD, URL, BODY, params);${served.count}
}
`;
}
