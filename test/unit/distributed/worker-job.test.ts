import { expect } from 'chai';
import { renderWorkerJob, workerJobName } from '../../../src/distributed/job-manifest.js';
import { formatWorkerLine, parseWorkerLine, type WorkerConfig } from '../../../src/load/worker.js';
import { loadSpec } from '../../helpers/load.js';
import { restrictedViolations } from '../../helpers/pod-security.js';
import { sample } from '../../helpers/samples.js';

const config: WorkerConfig = { url: 'http://127.0.0.1:8080/', headers: {}, spec: loadSpec(), startAtMs: 1_700_000_000_000, maxStageMs: 60_000 };

describe('distributed load: the Indexed Job of crt workers', () => {
  it('names the Job after the case, as a DNS-1123 name', () => {
    expect(workerJobName('LOG-01 Gateway', 'abcde')).to.equal('crt-load-log-01-gateway-abcde');
    expect(workerJobName('X'.repeat(80), 'abcde').length).to.be.at.most(63);
  });

  it('renders N pods at once in Indexed mode, without retries, with the worker configuration', () => {
    const job = renderWorkerJob({ name: 'crt-load-c-1', namespace: 'load', image: 'crt.io/crt:0.1.0', generators: 3, runId: 'r1', caseId: 'C-1', config, deadlineSec: 120 });
    expect(job.spec).to.include({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimit: 0, activeDeadlineSeconds: 120 });
    const pod = job.spec!.template.spec!;
    expect(pod.restartPolicy).to.equal('Never');
    expect(pod.containers[0]).to.deep.include({ image: 'crt.io/crt:0.1.0', args: ['worker'] });
    expect(JSON.parse(pod.containers[0]!.env![0]!.value!)).to.deep.equal(config);
    expect(job.metadata?.labels?.['crt.io/run-id']).to.equal('r1');
    expect(job.spec!.template.metadata?.labels?.['crt.io/load-job']).to.equal('crt-load-c-1');
  });

  it('gives the workers resources and a securityContext that the restricted Pod Security Standard admits', () => {
    const pod = renderWorkerJob({ name: 'crt-load-c-1', namespace: 'load', image: 'i', generators: 1, runId: 'r1', caseId: 'C-1', config, deadlineSec: 120 }).spec!.template.spec!;
    expect(restrictedViolations(pod, pod.containers)).to.deep.equal([]);
    expect(restrictedViolations({}, [{ name: 'bare' }]), 'the check can fail').to.have.length(4);
    expect(pod.securityContext).to.deep.include({ runAsUser: 1000, runAsNonRoot: true });
    expect(pod.containers[0]!.name).to.equal('worker');
    expect(pod.containers[0]!.resources).to.deep.equal({ requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '512Mi' } });
  });

  it('carries a worker\'s messages as marked JSON lines, the final watermark included', () => {
    const s = sample(3, 10, 2);
    const line = formatWorkerLine({ type: 'samples', generator: 0, upToSec: Infinity, samples: [s] });
    const back = parseWorkerLine(line, 2);
    expect(back).to.deep.equal({ type: 'samples', generator: 2, upToSec: Infinity, samples: [{ ...s, generator: 2 }] });
    expect(parseWorkerLine('(node:1) Warning: something', 0)).to.equal(null);
    expect(parseWorkerLine(formatWorkerLine({ type: 'done', generator: 0, at: 5 }), 1)).to.deep.equal({ type: 'done', generator: 1, at: 5 });
  });
});
