import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CronJob, type ICronJob } from 'kubernetes-models/batch/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding, type IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, ServiceAccount, type IConfigMap } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { loadPlan } from '../../../src/plan/index.js';
import { dockerfile } from '../../helpers/dockerfile.js';
import { REPO } from '../../helpers/grafana.js';

const K8S = path.join(REPO, 'deploy/k8s');

/**
 * The Kubernetes API's own JSON Schemas, through kubernetes-models: types, required fields and enums of
 * every kind deploy/k8s ships. (No API server here serves these kinds: the embedded cluster has no RBAC,
 * ServiceAccounts, CronJobs, PVCs or Secrets, so `kubectl apply --dry-run` cannot check them.)
 */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace, 'v1/ServiceAccount': ServiceAccount, 'v1/ConfigMap': ConfigMap, 'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'batch/v1/CronJob': CronJob,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole, 'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding, 'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

function objects(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(path.join(K8S, file), 'utf8'));
  for (const d of docs) expect(d.errors.map((e) => e.message), file).to.deep.equal([]);
  return docs.map((d) => d.toJS() as Obj).filter(Boolean);
}

const find = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);

describe('deploy/k8s: RBAC, CronJob and the crt image', () => {
  const rbac = objects('rbac.yaml');
  const cron = objects('cronjob.yaml');
  const cronJob = cron.find((o) => o.kind === 'CronJob') as unknown as ICronJob;
  const pod = cronJob.spec!.jobTemplate.spec!.template.spec!;
  const container = pod.containers[0]!;
  const bindings = rbac.filter((o) => o.kind.endsWith('Binding')) as unknown as IRoleBinding[];
  const planMap = cron.find((o) => o.kind === 'ConfigMap') as unknown as IConfigMap;

  it('holds only kinds and apiVersions of the Kubernetes API, each valid against its schema', () => {
    for (const o of [...rbac, ...cron]) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.kind} ${o.metadata?.name}: ${o.apiVersion}/${o.kind} is not a kind this test knows`).to.not.equal(undefined);
      expect(() => new Model!(o as never).validate(), `${o.kind} ${o.metadata.name}`).to.not.throw();
    }
  });

  it('namespaces every namespaced object and no cluster-scoped one', () => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
    for (const o of [...rbac, ...cron]) expect(o.metadata.namespace === undefined, `${o.kind} ${o.metadata.name}`).to.equal(clusterScoped.has(o.kind));
  });

  it('binds only roles that exist, each to the ServiceAccount crt/crt', () => {
    expect(find(rbac, 'ServiceAccount', 'crt')?.metadata.namespace).to.equal('crt');
    expect(find(rbac, 'Namespace', 'crt')).to.not.equal(undefined);
    for (const b of bindings) {
      expect(find(rbac, b.roleRef.kind, b.roleRef.name), `${b.kind} ${b.metadata?.name} → ${b.roleRef.kind} ${b.roleRef.name}`).to.not.equal(undefined);
      expect(b.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'crt', namespace: 'crt' }]);
    }
  });

  it('runs the CronJob nightly in namespace crt as ServiceAccount crt, never two at once', () => {
    expect(cronJob.metadata?.namespace).to.equal('crt');
    expect(pod.serviceAccountName).to.equal('crt');
    expect(find(rbac, 'ServiceAccount', pod.serviceAccountName!)?.metadata.namespace).to.equal(cronJob.metadata?.namespace);
    expect(cronJob.spec?.concurrencyPolicy).to.equal('Forbid');
    const [minute, hour, ...rest] = cronJob.spec!.schedule.split(' ');
    expect(rest, 'every day').to.deep.equal(['*', '*', '*']);
    expect(Number(minute)).to.be.within(0, 59);
    expect(Number(hour), 'at night').to.be.within(0, 5);
    expect(pod.restartPolicy).to.equal('Never');
    expect(cronJob.spec?.jobTemplate.spec?.backoffLimit).to.equal(0);
  });

  it('reverts what an earlier night left, then runs the nightly cases against the last good run', () => {
    const script = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
    const revert = script.indexOf('crt revert --all --plan test-plans/nightly.yaml');
    const run = script.indexOf('crt run test-plans/nightly.yaml --tags nightly --run-id "nightly-$(date +%Y%m%d)" --baseline last-good');
    expect(revert, script).to.be.greaterThan(-1);
    expect(run, script).to.be.greaterThan(revert);
    expect(script, 'a failed revert stops the night').to.match(/set -e/);
  });

  it('mounts the plan from the ConfigMap, the reports on the PVC, and takes InfluxDB from a Secret', () => {
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
    const volumes = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
    expect(path.posix.join(container.workingDir!, 'test-plans')).to.equal(mounts.plan);
    expect(path.posix.join(container.workingDir!, 'reports'), 'crt run writes reports/<run-id> where last-good looks').to.equal(mounts.reports);
    expect(volumes.plan?.configMap?.name).to.equal(planMap.metadata?.name);
    expect(Object.keys(planMap.data ?? {})).to.include('nightly.yaml');
    expect(find(cron, 'PersistentVolumeClaim', volumes.reports?.persistentVolumeClaim?.claimName ?? '')).to.not.equal(undefined);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(env.CRT_INFLUX_URL).to.deep.include({ name: 'crt-influx', key: 'url' });
    expect(env.CRT_INFLUX_TOKEN).to.deep.include({ name: 'crt-influx', key: 'token' });
    expect(pod.securityContext?.runAsNonRoot).to.equal(true);
  });

  it('ships a plan that crt validates, acting only where rbac.yaml binds crt', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'crt-k8s-'));
    try {
      const file = path.join(dir, 'nightly.yaml');
      await writeFile(file, planMap.data?.['nightly.yaml'] ?? '');
      const { plan } = loadPlan(file, {});
      expect(plan.cases.every((c) => c.tags.includes('nightly'))).to.equal(true);
      const boundIn = (role: string) => bindings.filter((b) => b.kind === 'RoleBinding' && b.roleRef.name === role).map((b) => b.metadata?.namespace);
      expect(boundIn('crt-namespaced-faults')).to.include.members([...(plan.cluster?.namespaces ?? [])]);
      expect(boundIn('crt-journal')).to.include(plan.cluster?.journalNamespace);
      expect(plan.cluster?.kubeconfig, 'in the cluster crt uses its ServiceAccount').to.equal(undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('builds one crt image from node:20-slim: production dependencies, the built dist, a non-root user, crt as entrypoint', () => {
    const { lines, final } = dockerfile();
    expect(final[0]).to.equal('FROM node:20-slim');
    expect(final.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).to.equal(true);
    expect(final).to.include('COPY --from=build /app/dist/src ./dist/src');
    const user = final.filter((l) => l.startsWith('USER ')).pop();
    expect(user).to.equal('USER node');
    expect(pod.securityContext?.runAsUser, 'the CronJob runs as the image user node (uid 1000)').to.equal(1000);
    expect(final.filter((l) => l.startsWith('ENTRYPOINT ')).pop()).to.equal('ENTRYPOINT ["crt"]');
    for (const l of lines.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
      for (const src of l.split(/\s+/).slice(1, -1)) expect(existsSync(path.join(REPO, src)), `${l}: ${src}`).to.equal(true);
    }
  });
});
