import type { V1ConfigMap } from '@kubernetes/client-node';
import { K6SampleBuilder, type GeneratorMessage } from '../load/index.js';
// a label value is also a k6 tag the operator's space-split keeps whole
import { RUN_ID_LABEL, labelValue as safe } from '../kube/index.js';

/**
 * k6-operator's TestRun (k6.io/v1alpha1), from the fields its documentation lists ("Configure
 * the TestRun CRD" and crd-generated.md): `parallelism` (runners, each given an equal execution
 * segment), `script.configMap.{name,file}`, `arguments` (one string, split on spaces by the
 * operator), `separate` (one runner per node), `runner.{image,env,metadata.labels,resources,securityContext,containerSecurityContext}`. No
 * `cleanup: post`: crt reads the runners' logs after they finish, then deletes the TestRun.
 */
export interface K6TestRun {
  apiVersion: 'k6.io/v1alpha1';
  kind: 'TestRun';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    parallelism: number;
    separate: boolean;
    script: { configMap: { name: string; file: string } };
    arguments: string;
    runner: {
      image?: string; env: Array<{ name: string; value: string }>; metadata: { labels: Record<string, string> };
      resources: typeof RUNNER_RESOURCES; securityContext: Record<string, unknown>; containerSecurityContext: Record<string, unknown>;
    };
  };
}

export const K6_SCRIPT_FILE = 'script.js';
/** As crt's own workers: a CPU request to be placed where it can run, no CPU limit (throttling would be measured as latency). */
export const RUNNER_RESOURCES = { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '512Mi' } };


/**
 * The ConfigMap holding the script and the TestRun that runs it on `parallelism` runners.
 * Every runner writes its points to stdout (`--out json=-`, k6's JSON output to standard
 * output) so that crt collects them from the runner pods' logs, tagged with run and case.
 */
export function renderK6TestRun(o: {
  name: string; namespace: string; script: string; parallelism: number; runId: string; caseId: string;
  image?: string; env?: Record<string, string>; extraArgs?: readonly string[];
}): { configMap: V1ConfigMap; testRun: K6TestRun } {
  const labels = { [RUN_ID_LABEL]: safe(o.runId), 'crt.io/case': safe(o.caseId), 'app.kubernetes.io/managed-by': 'crt' };
  const scriptMap = `${o.name}-script`;
  for (const a of o.extraArgs ?? []) {
    if (/\s/.test(a)) throw new Error(`k6.extraArgs "${a}" holds a space: k6-operator splits arguments on spaces`);
  }
  const args = ['--out', 'json=-', '--tag', `run=${safe(o.runId)}`, '--tag', `case=${safe(o.caseId)}`, ...(o.extraArgs ?? [])];
  return {
    configMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: scriptMap, namespace: o.namespace, labels }, data: { [K6_SCRIPT_FILE]: o.script } },
    testRun: {
      apiVersion: 'k6.io/v1alpha1',
      kind: 'TestRun',
      metadata: { name: o.name, namespace: o.namespace, labels },
      spec: {
        parallelism: o.parallelism,
        separate: false,
        script: { configMap: { name: scriptMap, file: K6_SCRIPT_FILE } },
        arguments: args.join(' '),
        runner: {
          ...(o.image ? { image: o.image } : {}),
          env: Object.entries(o.env ?? {}).map(([name, value]) => ({ name, value })),
          metadata: { labels },
          resources: RUNNER_RESOURCES,
          // the Pod Security Standard `restricted` (the grafana/k6 image runs as the numeric user 12345)
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
        },
      },
    },
  };
}

/**
 * The runner index of a k6-operator runner pod: the operator names its runner Jobs
 * `<testrun>-<n>` (n from 1), and their pods `<testrun>-<n>-<suffix>`. Generator = n - 1.
 */
export function runnerIndex(testRun: string, podName: string): number | null {
  const m = new RegExp(`^${testRun.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-[a-z0-9]+$`).exec(podName);
  return m ? Number(m[1]) - 1 : null;
}

/**
 * Each runner's log (its stdout: k6's JSON points among other lines) into the samples of one
 * generator, as for a local k6: the runner = generator, merged exactly by the runner (one
 * result, one verdict for the whole TestRun, where k6-operator alone judges each runner apart).
 */
export function samplesFromRunnerLogs(logs: ReadonlyMap<number, string>, originMs: number): GeneratorMessage[] {
  const out: GeneratorMessage[] = [];
  for (const [generator, log] of [...logs].sort(([a], [b]) => a - b)) {
    const builder = new K6SampleBuilder(originMs, generator);
    for (const line of log.split('\n')) if (line.startsWith('{')) builder.addLine(line);
    out.push(builder.flush(Infinity, true), { type: 'done', generator, at: originMs });
  }
  return out;
}
