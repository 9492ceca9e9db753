import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../../helpers/embedded-cluster.js';
import { requireKubectl } from '../../helpers/kubectl.js';
import { until } from '../../helpers/until.js';

const exec = promisify(execFile);


const condition = (job: V1Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

function job(name: string, script: string, spec: Record<string, unknown>): V1Job {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name },
    spec: {
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'node:22', command: ['node', '-e', script] }] } },
    },
  };
}

/** batch/v1 Jobs on a 2-node embedded cluster, through client-node and kubectl, with real pod processes. */
describe('embedded cluster Jobs (client-node, kubectl, real processes)', function () {
  this.timeout(60_000);
  let test: TestCluster;
  let kubeconfig: string;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  const kubectl = async (...args: string[]): Promise<string> => (await exec('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 })).stdout;

  before(async () => {
    // a 200 ms replacement back-off instead of 10 s keeps the failing Job short
    test = await startTestCluster({ nodes: 2, jobBackoffMs: 200 });
    kubeconfig = test.kubeconfig;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    batch = kc.makeApiClient(BatchV1Api);
    core = kc.makeApiClient(CoreV1Api);
  });

  after(async () => {
    await test.stop();
  });

  it('runs an Indexed Job of 5 with parallelism 2 to completion, each pod seeing its JOB_COMPLETION_INDEX', async () => {
    await batch.createNamespacedJob({ namespace: 'default', body: job('indexed', "setTimeout(() => console.log('index=' + process.env.JOB_COMPLETION_INDEX), 300)", { completions: 5, parallelism: 2, completionMode: 'Indexed' }) });
    let maxActive = 0;
    const done = await until('the Job to complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'indexed', namespace: 'default' });
      maxActive = Math.max(maxActive, j.status?.active ?? 0);
      return condition(j, 'Complete') ? j : undefined;
    });
    expect(done.status).to.include({ succeeded: 5, completedIndexes: '0-4' });
    expect(done.status?.failed ?? 0).to.equal(0);
    expect(condition(done, 'SuccessCriteriaMet')?.reason).to.equal('CompletionsReached');
    expect(done.status?.completionTime).to.be.instanceOf(Date);
    expect(maxActive).to.be.within(1, 2);
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'batch.kubernetes.io/job-name=indexed' })).items;
    expect(pods).to.have.length(5);
    const seen: string[] = [];
    for (const pod of pods) {
      const index = pod.metadata!.annotations!['batch.kubernetes.io/job-completion-index'];
      expect(pod.metadata!.labels!['batch.kubernetes.io/job-completion-index']).to.equal(index);
      expect(pod.status?.phase).to.equal('Succeeded');
      const log = await core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: 'default' });
      expect(log.trim()).to.equal(`index=${index}`);
      seen.push(index!);
    }
    expect(seen.sort()).to.deep.equal(['0', '1', '2', '3', '4']);
  });

  it('prints Jobs in kubectl get jobs with status, completions, duration and the wide columns', async function () {
    requireKubectl(this);
    const out = await kubectl('get', 'jobs', '-o', 'wide');
    const [header, row] = out.trim().split('\n');
    expect(header!.split(/\s{2,}/)).to.deep.equal(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const cells = row!.split(/\s{2,}/);
    expect(cells.slice(0, 3)).to.deep.equal(['indexed', 'Complete', '5/5']);
    expect(cells[3]).to.match(/^\d+s$/);
    expect(cells.slice(5, 7)).to.deep.equal(['work', 'node:22']);
    expect(cells[7]).to.match(/^batch\.kubernetes\.io\/controller-uid=[0-9a-f-]+$/);
  });

  it('fails a Job whose pods exit 1 once backoffLimit is exceeded', async () => {
    await batch.createNamespacedJob({ namespace: 'default', body: job('failing', 'process.exit(1)', { backoffLimit: 2 }) });
    const failed = await until('the Job to fail', async () => {
      const j = await batch.readNamespacedJob({ name: 'failing', namespace: 'default' });
      return condition(j, 'Failed') ? j : undefined;
    });
    expect(condition(failed, 'Failed')).to.include({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(condition(failed, 'FailureTarget')?.reason).to.equal('BackoffLimitExceeded');
    expect(failed.status?.failed).to.equal(3);
    expect(failed.status?.active ?? 0).to.equal(0);
    expect(failed.status?.completionTime).to.equal(undefined);
    const events = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=failing' })).items;
    expect(events.map((e) => e.reason)).to.include.members(['SuccessfulCreate', 'BackoffLimitExceeded']);
    const pods = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'job-name=failing' });
    expect(pods.items.map((p) => p.status?.phase)).to.deep.equal(['Failed', 'Failed', 'Failed']);
  });

  it('rejects a Job whose pod template restarts Always, as the API server does', async () => {
    const body = job('always', 'process.exit(0)', {});
    body.spec!.template.spec!.restartPolicy = 'Always';
    const err = await batch.createNamespacedJob({ namespace: 'default', body }).then(() => undefined, (e: unknown) => e as { code?: number; body?: string });
    expect(err?.code).to.equal(422);
    expect(String(err?.body)).to.include('spec.template.spec.restartPolicy: Unsupported value: \\"Always\\": supported values: \\"OnFailure\\", \\"Never\\"');
  });
});
