import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { kubeClients, type KubeClients } from '../../../src/kube/index.js';
import { RealCluster, type RealClusterOptions } from '../../../src/localcluster/real/index.js';
import { liveProcesses, requireRealControlPlane } from '../controlplane/real-binaries.js';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);

/** One embedded cluster on the real control plane for a test file: started in `before`, stopped in `after`. */
export interface RealApi {
  cluster: RealCluster;
  /** the admin's clients (system:masters) */
  kube: KubeClients;
  bin: string;
  dir: string;
  /** how long start() took, for the report */
  startMs: number;
  /** the release's kubectl as admin (or with `kubeconfig`); rejects with its stderr on a non-zero exit */
  kubectl(args: string[], opts?: { kubeconfig?: string; input?: string; timeoutMs?: number }): Promise<{ stdout: string; stderr: string }>;
  /** kubectl, resolving with the exit code instead of rejecting */
  kubectlTry(args: string[], opts?: { kubeconfig?: string; input?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** applies YAML text as admin (kubectl apply -f) */
  apply(yaml: string, name?: string): Promise<void>;
  stop(): Promise<void>;
}

/** Fast node-failure detection, as a plan's cluster.local.settings would set it. */
export const FAST_TIMINGS = { heartbeatMs: 1000, nodeMonitorPeriodMs: 1000, nodeMonitorGracePeriodMs: 5000, defaultTolerationSeconds: 2 } as const;

/** In a `before`: starts the cluster (or skips the suite when the binaries or network namespaces are missing). */
export async function startRealApi(ctx: Mocha.Context, opts: Omit<RealClusterOptions, 'stateDir' | 'binDir'>): Promise<RealApi> {
  const bin = await requireRealControlPlane(ctx);
  const work = await tempDir('crt-real-api-');
  const stateDir = path.join(work.dir, 'state');
  const cluster = new RealCluster({ ...FAST_TIMINGS, ...opts, stateDir, binDir: bin });
  const t0 = Date.now();
  try {
    await cluster.start();
  } catch (err) {
    await cluster.stop();
    await work.remove();
    throw err;
  }
  const startMs = Date.now() - t0;
  const kubectl: RealApi['kubectl'] = async (args, o = {}) => {
    const child = run(path.join(bin, 'kubectl'), ['--kubeconfig', o.kubeconfig ?? cluster.kubeconfig, ...args], { timeout: o.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 });
    if (o.input !== undefined) child.child.stdin?.end(o.input);
    return child;
  };
  let applied = 0;
  return {
    cluster, bin, dir: work.dir, startMs, kubectl,
    kube: kubeClients({ kubeconfig: cluster.kubeconfig }),
    kubectlTry: async (args, o = {}) => kubectl(args, o).then(
      (r) => ({ code: 0, ...r }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
    ),
    apply: async (yaml, name) => {
      const file = path.join(work.dir, name ?? `apply-${++applied}.yaml`);
      await writeFile(file, yaml);
      await kubectl(['apply', '-f', file]);
    },
    stop: async () => {
      const pids = [...cluster.pids(), ...cluster.controlPlanePids()];
      await cluster.stop();
      expect(await liveProcesses(pids), 'pod or control-plane processes alive after stop').to.deep.equal([]);
      await work.remove();
    },
  };
}

/** Whether a pod counts as Ready (its Ready condition True) and is not being deleted. */
export function podReady(p: { metadata?: { deletionTimestamp?: unknown }; status?: { conditions?: Array<{ type: string; status: string }> } }): boolean {
  return !p.metadata?.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}
