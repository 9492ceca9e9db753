import { expect } from 'chai';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { JobController } from '../../../../src/localcluster/controllers/job-controller.js';
import { formatIndexes } from '../../../../src/localcluster/controllers/job-pods.js';
import type { Store } from '../../../../src/localcluster/store/store.js';
import { events, ManualClock, newStore, settle } from './harness.js';

function job(name: string, spec: Record<string, unknown>): KObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'demo' },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'node:22', command: ['node', '-e', '0'] }] } } },
  };
}

describe('JobController', () => {
  let clock: ManualClock;
  let store: Store;
  let controller: JobController;

  const podsOf = (name: string): KObject[] => store.snapshot('pods', 'demo', (p) => p.metadata.labels?.['job-name'] === name);
  const live = (name: string): KObject[] => podsOf(name).filter((p) => !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase));
  const finish = (pod: KObject, phase: 'Succeeded' | 'Failed'): void => {
    store.mutate('pods', 'demo', pod.metadata.name!, (d) => { d.status = { ...(d.status ?? {}), phase }; }, { subresource: 'status' });
  };
  const read = (name: string): KObject => store.peek('batch/jobs', 'demo', name)!;
  const condition = (name: string, type: string): any => (read(name).status?.conditions as any[] | undefined)?.find((c) => c.type === type);

  beforeEach(() => {
    clock = new ManualClock();
    store = newStore(clock);
    controller = new JobController(store, { timers: clock, resyncMs: 0 });
    controller.start();
  });

  afterEach(() => controller.stop());

  it('gives each pod of an Indexed Job its index as annotation, label, hostname and JOB_COMPLETION_INDEX from the annotation', async () => {
    store.create('batch/jobs', 'demo', job('idx', { completions: 3, parallelism: 2, completionMode: 'Indexed' }));
    await settle();
    const pods = podsOf('idx');
    expect(pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort()).to.deep.equal(['0', '1']);
    const first = pods.find((p) => p.metadata.labels?.['batch.kubernetes.io/job-completion-index'] === '0')!;
    expect(first.spec?.hostname).to.equal('idx-0');
    expect(first.metadata.name).to.match(/^idx-0-/);
    expect(first.spec?.containers[0].env).to.deep.include({
      name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
    });
    for (const pod of pods) finish(pod, 'Succeeded');
    await settle();
    expect(live('idx').map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'])).to.deep.equal(['2']);
    finish(live('idx')[0]!, 'Succeeded');
    await settle();
    expect(read('idx').status).to.include({ succeeded: 3, completedIndexes: '0-2' });
    expect(condition('idx', 'Complete')).to.include({ status: 'True', reason: 'CompletionsReached' });
    expect(events(store, 'Completed').map((e) => e.message)).to.deep.equal(['Job completed']);
  });

  it('replaces a failed pod only after the back-off, 10 s and then 20 s', async () => {
    store.create('batch/jobs', 'demo', job('retry', { backoffLimit: 3 }));
    await settle();
    finish(live('retry')[0]!, 'Failed');
    await settle();
    expect(live('retry')).to.have.length(0);
    await clock.advance(9_000);
    await settle();
    expect(live('retry')).to.have.length(0);
    await clock.advance(1_100);
    await settle();
    expect(live('retry')).to.have.length(1);
    finish(live('retry')[0]!, 'Failed');
    await settle();
    await clock.advance(15_000);
    await settle();
    expect(live('retry')).to.have.length(0);
    await clock.advance(5_100);
    await settle();
    expect(live('retry')).to.have.length(1);
    expect(read('retry').status?.failed).to.equal(2);
  });

  it('fails a Job that runs past activeDeadlineSeconds and deletes its pods', async () => {
    store.create('batch/jobs', 'demo', job('slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 4 }));
    await settle();
    expect(live('slow')).to.have.length(2);
    await clock.advance(30_100);
    await settle();
    expect(podsOf('slow').every((p) => p.metadata.deletionTimestamp)).to.equal(true);
    expect(condition('slow', 'FailureTarget')?.reason).to.equal('DeadlineExceeded');
    for (const pod of podsOf('slow')) store.removeNow('pods', 'demo', pod.metadata.name!);
    await settle();
    expect(condition('slow', 'Failed')).to.include({ status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
  });

  it('completes a NonIndexed Job after `completions` successes and deletes it ttlSecondsAfterFinished later', async () => {
    store.create('batch/jobs', 'demo', job('ttl', { completions: 2, parallelism: 2, ttlSecondsAfterFinished: 5 }));
    await settle();
    for (const pod of live('ttl')) finish(pod, 'Succeeded');
    await settle();
    expect(read('ttl').status).to.include({ succeeded: 2, ready: 0 });
    expect(read('ttl').status?.completionTime).to.be.a('string');
    await clock.advance(4_000);
    await settle();
    expect(store.peek('batch/jobs', 'demo', 'ttl')?.metadata.deletionTimestamp).to.equal(undefined);
    await clock.advance(1_100);
    await settle();
    expect(store.peek('batch/jobs', 'demo', 'ttl')).to.equal(undefined);
  });

  it('formats completed indexes as ranges', () => {
    expect(formatIndexes([4, 0, 1, 2, 6, 7])).to.equal('0-2,4,6-7');
    expect(formatIndexes([])).to.equal('');
  });
});
