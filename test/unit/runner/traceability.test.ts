import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { loadPlan } from '../../../src/plan/index.js';
import { imageChanges, imageRecord, podImages, podWorkload } from '../../../src/runner/cluster-trace.js';
import { ciJob, coverage, gitCommit, operatorOf, planNamespaces, planTrace } from '../../../src/runner/traceability.js';
import type { ContainerImage, ImageSnapshot } from '../../../src/results/index.js';
import { tempDir } from '../../helpers/tmp.js';

const PLAN = `apiVersion: crt/v1
metadata: {name: book, owner: platform-team}
targets:
  gw: {url: "http://127.0.0.1:9"}
layers:
  physical:
    - {id: PHY-01, title: node, objective: o, tags: [slow], trigger: [{at: 1s, fault: pod-kill, namespace: shop, selector: "app=gw"}]}
  logical:
    - {id: LOG-01, title: steady, objective: o, tags: [smoke], load: {target: gw, connections: 1, duration: 1s}}
    - {id: LOG-02, title: other, objective: o, tags: [smoke, flaky], load: {target: gw, connections: 1, duration: 1s}}
`;

describe('run traceability', () => {
  describe('the CI job and the operator', () => {
    it('reads a GitHub Actions job and its URL', () => {
      const env = { GITHUB_ACTIONS: 'true', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '991', GITHUB_RUN_NUMBER: '41', GITHUB_WORKFLOW: 'nightly', GITHUB_JOB: 'crt', GITHUB_ACTOR: 'jane', GITHUB_SHA: 'abc123', GITHUB_REF_NAME: 'main' };
      expect(ciJob(env)).to.deep.equal({ system: 'GitHub Actions', job: 'nightly / crt #41 (acme/shop)', url: 'https://github.com/acme/shop/actions/runs/991', actor: 'jane', commit: 'abc123', ref: 'main' });
    });

    it('reads a GitLab CI job and a Jenkins build', () => {
      expect(ciJob({ GITLAB_CI: 'true', CI_JOB_NAME: 'crt-nightly', CI_JOB_ID: '77', CI_PIPELINE_ID: '12', CI_PROJECT_PATH: 'acme/shop', CI_JOB_URL: 'https://gitlab.example/acme/shop/-/jobs/77', GITLAB_USER_LOGIN: 'max', CI_COMMIT_SHA: 'def', CI_COMMIT_REF_NAME: 'release' }))
        .to.deep.equal({ system: 'GitLab CI', job: 'crt-nightly #77 (pipeline 12 of acme/shop)', url: 'https://gitlab.example/acme/shop/-/jobs/77', actor: 'max', commit: 'def', ref: 'release' });
      expect(ciJob({ JENKINS_URL: 'https://ci.example/', JOB_NAME: 'shop/crt', BUILD_NUMBER: '5', BUILD_URL: 'https://ci.example/job/shop/job/crt/5/', GIT_COMMIT: 'fff' }))
        .to.deep.equal({ system: 'Jenkins', job: 'shop/crt #5', url: 'https://ci.example/job/shop/job/crt/5/', actor: null, commit: 'fff', ref: null });
    });

    it('finds no CI job outside CI, and takes the operator from USER, else LOGNAME', () => {
      expect(ciJob({ CI: 'true', USER: 'x' })).to.equal(null);
      expect(operatorOf({ USER: 'jane', LOGNAME: 'j' })).to.equal('jane');
      expect(operatorOf({ LOGNAME: 'j' })).to.equal('j');
      expect(operatorOf({})).to.equal(null);
    });
  });

  describe('the plan', () => {
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    beforeEach(async () => (tmp = await tempDir()));
    afterEach(async () => tmp.remove());

    it('records the sha256 of the plan file, its owner, and no commit outside a git work tree', async () => {
      const file = path.join(tmp.dir, 'book.yaml');
      await writeFile(file, PLAN);
      const { plan } = loadPlan(file);
      const t = await planTrace(plan);
      expect(t.sha256).to.equal(createHash('sha256').update(PLAN).digest('hex'));
      expect(t.owner).to.equal('platform-team');
      expect(t.git).to.equal(null);
    });

    it('records the commit of the plan folder, and whether it has changes not committed', async () => {
      const git = (...args: string[]) => execFileSync('git', ['-C', tmp.dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
      git('init', '-q');
      await writeFile(path.join(tmp.dir, 'book.yaml'), PLAN);
      git('add', 'book.yaml');
      git('commit', '-q', '-m', 'plan');
      const head = git('rev-parse', 'HEAD');
      expect(await gitCommit(tmp.dir)).to.deep.equal({ commit: head, dirty: false });
      await writeFile(path.join(tmp.dir, 'book.yaml'), `${PLAN}# edited\n`);
      expect(await gitCommit(tmp.dir)).to.deep.equal({ commit: head, dirty: true });
    });

    it('counts the cases of the book the selection ran, and says why each other one did not run', async () => {
      const file = path.join(tmp.dir, 'book.yaml');
      await writeFile(file, PLAN);
      const { plan } = loadPlan(file);
      const sel = { only: [], tags: ['smoke'], excludeTags: ['flaky'], layers: [] };
      const ran = plan.cases.filter((c) => c.id === 'LOG-01');
      expect(coverage(plan, null, ran, sel)).to.deep.equal({
        selected: 1, total: 3,
        notSelected: [
          { id: 'PHY-01', layer: 'physical', why: 'no tag in --tags smoke' },
          { id: 'LOG-02', layer: 'logical', why: 'tag flaky excluded by --exclude-tags' },
        ],
      });
      const only = coverage(plan, null, ran, { only: ['LOG-01'], tags: [], excludeTags: [], layers: ['logical'] });
      expect(only.notSelected.map((n) => n.why)).to.deep.equal(['not in --only LOG-01; layer physical not in --layer logical', 'not in --only LOG-01']);
    });

    it('counts against the extended plan, the book, for a plan with extends', async () => {
      await writeFile(path.join(tmp.dir, 'book.yaml'), PLAN);
      await writeFile(path.join(tmp.dir, 'nightly.yaml'), 'apiVersion: crt/v1\nmetadata: {name: nightly}\nextends: book.yaml\nselect: {tags: [smoke]}\n');
      const { plan } = loadPlan(path.join(tmp.dir, 'nightly.yaml'));
      const { plan: book } = loadPlan(path.join(tmp.dir, 'book.yaml'));
      const c = coverage(plan, book, plan.cases, { only: [], tags: [], excludeTags: [], layers: [] });
      expect(c).to.deep.include({ selected: 2, total: 3 });
      expect(c.notSelected).to.have.length(1);
      expect(c.notSelected[0]!.id).to.equal('PHY-01');
      expect(c.notSelected[0]!.why).to.match(/^not selected by .*nightly\.yaml \(its select: of .*book\.yaml\)$/);
      expect((await planTrace(plan)).extendsSha256).to.equal(createHash('sha256').update(PLAN).digest('hex'));
    });

    it('takes the namespaces the faults act in, unless the plan lists its own', async () => {
      await writeFile(path.join(tmp.dir, 'book.yaml'), PLAN);
      const { plan } = loadPlan(path.join(tmp.dir, 'book.yaml'));
      expect(planNamespaces(plan, plan.cases)).to.deep.equal(['shop']);
      expect(planNamespaces(plan, plan.cases.filter((c) => c.layer === 'logical'))).to.deep.equal(['default']);
      expect(planNamespaces({ ...plan, cluster: { ...(plan.cluster ?? {}), namespaces: ['a', 'b'] } }, plan.cases)).to.deep.equal(['a', 'b']);
    });
  });

  describe('the images running in the cluster', () => {
    const pod = (name: string, image: string, imageID: string, hash = '7d9f'): V1Pod => ({
      metadata: { name, namespace: 'shop', labels: { 'pod-template-hash': hash }, ownerReferences: [{ kind: 'ReplicaSet', name: `gw-${hash}`, apiVersion: 'apps/v1', uid: 'u' }] },
      spec: { containers: [{ name: 'app', image }] },
      status: { containerStatuses: [{ name: 'app', image, imageID, ready: true, restartCount: 0 }] },
    });
    const snap = (containers: ContainerImage[], error?: string): ImageSnapshot => ({ at: '2026-12-07T01:00:00.000Z', containers, ...(error ? { error } : {}) });

    it('names a pod\'s workload from its owner, without the ReplicaSet hash', () => {
      expect(podWorkload(pod('gw-7d9f-x', 'a', 'b'))).to.equal('deployment/gw');
      expect(podWorkload({ metadata: { name: 'db-0', ownerReferences: [{ kind: 'StatefulSet', name: 'db', apiVersion: 'apps/v1', uid: 'u' }] } })).to.equal('statefulset/db');
      expect(podWorkload({ metadata: { name: 'lone' } })).to.equal('pod/lone');
      expect(podImages(pod('gw-7d9f-x', 'shop/gw:1.4', 'shop/gw@sha256:aa'))).to.deep.equal([{ namespace: 'shop', workload: 'deployment/gw', pod: 'gw-7d9f-x', container: 'app', image: 'shop/gw:1.4', imageID: 'shop/gw@sha256:aa' }]);
    });

    it('flags a workload whose image changed between the start and the end, not a pod that was replaced by the same image', () => {
      const start = snap([...podImages(pod('gw-7d9f-a', 'shop/gw:1.4', 'd1')), ...podImages(pod('gw-7d9f-b', 'shop/gw:1.4', 'd1'))]);
      const sameImageNewPods = snap(podImages(pod('gw-7d9f-c', 'shop/gw:1.4', 'd1')));
      expect(imageChanges(start, sameImageNewPods)).to.deep.equal([]);
      const deployed = snap(podImages(pod('gw-5c5c-d', 'shop/gw:1.5', 'd2', '5c5c')));
      expect(imageChanges(start, deployed)).to.deep.equal([{ namespace: 'shop', workload: 'deployment/gw', container: 'app', start: ['shop/gw:1.4 (d1)'], end: ['shop/gw:1.5 (d2)'] }]);
      expect(imageChanges(start, snap([]))).to.deep.equal([{ namespace: 'shop', workload: 'deployment/gw', container: 'app', start: ['shop/gw:1.4 (d1)'], end: [] }]);
    });

    it('records no change when a read failed, rather than flagging every workload', () => {
      const start = snap(podImages(pod('gw-7d9f-a', 'shop/gw:1.4', 'd1')));
      expect(imageRecord(['shop'], start, snap([], 'shop: forbidden')).changes).to.deep.equal([]);
      expect(imageRecord(['shop'], start, null)).to.deep.include({ end: null, changes: [] });
    });
  });
});
