import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { crt } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REAL = 'test-plans/examples/real-cluster.yaml';
const PLACEHOLDERS = { CRT_KUBECONFIG: '/nonexistent/kubeconfig', CRT_CONTEXT: 'staging', CRT_NAMESPACE: 'shop', GATEWAY_URL: 'https://shop.staging.example.com' };

const text = (file: string) => readFile(path.join(ROOT, file), 'utf8');

describe('the real-cluster example plan (test-plans/examples/real-cluster.yaml)', function () {
  this.timeout(30_000);

  it('is valid once its placeholders are set (crt validate exits 0 without reaching a cluster)', async () => {
    const r = await crt(['validate', REAL], { cwd: ROOT, env: PLACEHOLDERS });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout + r.stderr).to.contain('physical 1, logical 4, auxiliary 1 — 6 cases');
  });

  it('names each unset placeholder at its location and exits 2', async () => {
    const { GATEWAY_URL: _unset, ...rest } = PLACEHOLDERS;
    const r = await crt(['validate', REAL], { cwd: ROOT, env: rest });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/real-cluster\.yaml:\d+:\d+ targets\.gateway\.url: environment variable GATEWAY_URL is not set\n {2}hint: export GATEWAY_URL=…/);
    expect(r.stderr).to.contain('1 problem in the plan');
  });

  it('targets a real cluster with allowlists and covers pod-kill, node-drain with a PDB probe, network-cut, rollout and a manual step', async () => {
    const plan = parse(await text(REAL)) as { cluster: Record<string, unknown>; layers: Record<string, Array<{ id: string; tags?: string[]; conditions?: Array<{ probe: string }>; trigger?: Array<{ fault: string }> }>> };
    expect(plan.cluster).to.have.all.keys('kubeconfig', 'context', 'contexts', 'namespaces');
    const cases = Object.values(plan.layers).flat();
    const faults = new Set(cases.flatMap((c) => (c.trigger ?? []).map((t) => t.fault)));
    expect([...faults]).to.include.members(['pod-kill', 'node-drain', 'network-cut', 'rollout', 'manual']);
    const drain = cases.find((c) => c.trigger?.some((t) => t.fault === 'node-drain'));
    expect(drain?.conditions?.map((p) => p.probe)).to.include('pdb-exists');
    // the nightly subset is unattended: no manual step in it
    for (const c of cases.filter((x) => x.tags?.includes('nightly'))) expect(c.trigger?.map((t) => t.fault) ?? [], c.id).to.not.include('manual');
  });
});

describe('CI examples (deploy/ci/)', () => {
  const NIGHTLY_RUN = /npx crt run "\$CRT_PLAN" --tags nightly --run-id "nightly-\$BUILD_ID"/;
  const REVERT = /npx crt revert --all --plan "\$CRT_PLAN"/;

  it('GitHub Actions: the kubeconfig from a secret, revert first, the nightly run, the run folder kept and junit.xml published even on failure', async () => {
    const wf = parse(await text('deploy/ci/github-actions.yml')) as { on: Record<string, unknown>; jobs: Record<string, { env: Record<string, string>; steps: Array<{ name?: string; run?: string; uses?: string; if?: string; with?: Record<string, string>; env?: Record<string, string> }> }> };
    expect(wf.on).to.have.property('schedule');
    const job = wf.jobs.nightly!;
    expect(existsSync(path.join(ROOT, job.env.CRT_PLAN!))).to.equal(true);
    const runs = job.steps.map((s) => s.run ?? '');
    const secret = job.steps.findIndex((s) => s.env?.KUBECONFIG_DATA?.includes('secrets.'));
    const revert = runs.findIndex((r) => REVERT.test(r));
    const run = runs.findIndex((r) => NIGHTLY_RUN.test(r));
    expect(secret, 'kubeconfig step').to.be.at.least(0);
    expect(revert, 'revert step').to.be.above(secret);
    expect(run, 'run step').to.be.above(revert);
    expect(runs.slice(0, revert).join('\n')).to.not.match(/crt run/);
    expect(runs[run]).to.contain('--baseline');
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload?.if).to.equal('always()');
    expect(upload?.with?.path).to.equal('reports/nightly-${{ github.run_id }}/');
    expect(job.env.BUILD_ID).to.equal('${{ github.run_id }}');
    const junit = job.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report'));
    expect(junit?.if).to.equal('always()');
    expect(junit?.with?.report_paths).to.equal('reports/nightly-${{ github.run_id }}/junit.xml');
  });

  it('GitLab CI: revert before the nightly run, the run folder as an artifact and junit.xml as the test report, kept on failure', async () => {
    const ci = parse(await text('deploy/ci/.gitlab-ci.yml')) as Record<string, { variables: Record<string, string>; script: string[]; artifacts: { when: string; paths: string[]; reports: { junit: string } } }>;
    const job = ci['crt-nightly']!;
    expect(existsSync(path.join(ROOT, job.variables.CRT_PLAN!))).to.equal(true);
    expect(job.variables.BUILD_ID).to.equal('$CI_PIPELINE_ID');
    const revert = job.script.findIndex((l) => REVERT.test(l));
    const run = job.script.findIndex((l) => NIGHTLY_RUN.test(l));
    expect(revert).to.be.at.least(0);
    expect(run).to.be.above(revert);
    expect(job.script.slice(0, revert).join('\n')).to.contain('KUBECONFIG="$CRT_KUBECONFIG"');
    expect(job.artifacts.when).to.equal('always');
    expect(job.artifacts.paths).to.deep.equal(['reports/nightly-$CI_PIPELINE_ID/']);
    expect(job.artifacts.reports.junit).to.equal('reports/nightly-$CI_PIPELINE_ID/junit.xml');
  });

  it('Jenkinsfile: Revert stage before the Nightly stage, both with the kubeconfig credential, artifacts and junit in post always', async () => {
    const jf = await text('deploy/ci/Jenkinsfile');
    const revert = jf.indexOf("stage('Revert')");
    const nightly = jf.indexOf("stage('Nightly')");
    expect(revert).to.be.above(0);
    expect(nightly).to.be.above(revert);
    expect(jf.slice(revert, nightly)).to.match(REVERT);
    expect(jf.slice(nightly)).to.match(NIGHTLY_RUN);
    expect(jf.match(/withCredentials\(\[file\(credentialsId: 'crt-kubeconfig', variable: 'CRT_KUBECONFIG'\)\]\)/g)).to.have.length(2);
    const post = jf.slice(jf.indexOf('post {'));
    expect(post).to.match(/always \{[\s\S]*archiveArtifacts artifacts: "reports\/nightly-\$\{env\.BUILD_ID\}\/\*\*"/);
    expect(post).to.contain('junit testResults: "reports/nightly-${env.BUILD_ID}/junit.xml"');
    expect(existsSync(path.join(ROOT, /CRT_PLAN = '([^']+)'/.exec(jf)![1]!))).to.equal(true);
  });
});
