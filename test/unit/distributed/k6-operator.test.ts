import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { renderK6TestRun, runnerEnv, runnerIndex, samplesFromRunnerLogs } from '../../../src/distributed/index.js';
import { decodeHistogram } from '../../../src/results/histogram.js';
import type { LoadSample } from '../../../src/results/types.js';
import { restrictedViolations } from '../../helpers/pod-security.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/k6/', import.meta.url));

describe('k6-operator TestRun rendering', () => {
  const { configMap, testRun } = renderK6TestRun({
    name: 'crt-k6-log-01-abcde', namespace: 'load', script: 'export default function () {}', parallelism: 4,
    runId: '2026-11-23T10:00 demo', caseId: 'LOG-01', image: 'registry.local/k6-disruptor:v1', env: { TARGET: 'http://gateway.demo.svc' }, extraArgs: ['--quiet'],
  });

  it('is a k6.io/v1alpha1 TestRun with parallelism N and the script from a ConfigMap', () => {
    expect(testRun.apiVersion).to.equal('k6.io/v1alpha1');
    expect(testRun.kind).to.equal('TestRun');
    expect(testRun.spec.parallelism).to.equal(4);
    expect(testRun.spec.script).to.deep.equal({ configMap: { name: 'crt-k6-log-01-abcde-script', file: 'script.js' } });
    expect(configMap.metadata?.name).to.equal('crt-k6-log-01-abcde-script');
    expect(configMap.data).to.deep.equal({ 'script.js': 'export default function () {}' });
  });

  it('writes the points to stdout with run and case tags, as one space-separated arguments string', () => {
    expect(testRun.spec.arguments).to.equal('--out json=- --tag run=2026-11-23T10-00-demo --tag case=LOG-01 --quiet');
  });

  it('sets the runner image, environment, crt labels, resources and a securityContext that the restricted Pod Security Standard admits', () => {
    expect(testRun.spec.runner).to.deep.equal({
      image: 'registry.local/k6-disruptor:v1',
      env: [{ name: 'TARGET', value: 'http://gateway.demo.svc' }],
      metadata: { labels: { 'crt.io/run-id': '2026-11-23T10-00-demo', 'crt.io/case': 'LOG-01', 'app.kubernetes.io/managed-by': 'crt' } },
      resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
    });
    const r = testRun.spec.runner;
    expect(restrictedViolations({ securityContext: r.securityContext }, [{ name: 'k6', securityContext: r.containerSecurityContext }])).to.deep.equal([]);
    expect(testRun.metadata.labels['crt.io/run-id']).to.equal('2026-11-23T10-00-demo');
  });

  it('gives the runners the headers and body in their environment, which the generated script reads (never its file), and k6.env last', () => {
    const env = runnerEnv({ url: 'http://gateway.demo.svc/', headers: { authorization: 'Bearer tok-5678' }, spec: { body: '{"a":1}', k6: { env: { CRT_BODY: 'null', X: '1' } } as never } });
    expect(env).to.deep.equal({ CRT_URL: 'http://gateway.demo.svc/', CRT_HEADERS: '{"authorization":"Bearer tok-5678"}', CRT_BODY: 'null', X: '1' });
    expect(runnerEnv({ url: 'http://g/', headers: {}, spec: { body: null, k6: { env: {} } as never } })).to.deep.equal({ CRT_URL: 'http://g/', CRT_HEADERS: '{}', CRT_BODY: 'null' });
  });

  it('refuses an extra argument with a space, which the operator would split', () => {
    expect(() => renderK6TestRun({ name: 'x', namespace: 'd', script: '', parallelism: 1, runId: 'r', caseId: 'c', extraArgs: ['--tag a=b c'] })).to.throw(/splits arguments on spaces/);
  });

  it('finds the runner index from the runner pod name', () => {
    expect(runnerIndex('crt-k6', 'crt-k6-1-x7k2p')).to.equal(0);
    expect(runnerIndex('crt-k6', 'crt-k6-12-ab3cd')).to.equal(11);
    expect(runnerIndex('crt-k6', 'crt-k6-initializer-ab3cd')).to.equal(null);
    expect(runnerIndex('crt-k6', 'crt-k6-starter-ab3cd')).to.equal(null);
  });

  it('turns each runner\'s log into one generator\'s samples, merged exactly', () => {
    const points = readFileSync(`${fixtures}points.json`, 'utf8');
    const log = `\n          /\\      |‾‾| /‾‾/   /‾‾/\n     execution: local\n${points}running (0m03.0s), 0/4 VUs, 6 complete and 0 interrupted iterations\n`;
    const messages = samplesFromRunnerLogs(new Map([[1, log], [0, log]]), Date.parse('2026-11-23T10:00:00Z'));
    const samples: LoadSample[] = messages.flatMap((m) => (m.type === 'samples' ? m.samples : []));
    expect(messages.filter((m) => m.type === 'done').map((m) => m.generator)).to.deep.equal([0, 1]);
    expect([0, 1].map((g) => samples.filter((s) => s.generator === g).reduce((n, s) => n + s.requests, 0))).to.deep.equal([6, 6]);
    expect(samples.reduce((n, s) => n + decodeHistogram(s.latency).totalCount, 0)).to.equal(12);
  });
});
