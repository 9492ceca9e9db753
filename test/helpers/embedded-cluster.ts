import path from 'node:path';
import { expect } from 'chai';
import { writeEmbeddedKubeconfig } from '../../src/kube/index.js';
import { embeddedCluster, LocalCluster, type ControlPlaneKind, type EmbeddedCluster, type LocalClusterOptions } from '../../src/localcluster/index.js';
import { alive } from './processes.js';
import { tempDir } from './tmp.js';

export interface TestCluster<C extends LocalCluster | EmbeddedCluster = LocalCluster> {
  cluster: C;
  /** the cluster's kubeconfig, in `tmp.dir` */
  kubeconfig: string;
  /** the temp folder holding the state, the kubeconfig and whatever the test writes */
  tmp: { dir: string };
  /** Stops the cluster, checks that no pod (or control-plane) process outlived it, and removes the temp folder. */
  stop(): Promise<void>;
}

type TestClusterOptions = Omit<LocalClusterOptions, 'stateDir'> & { manifests?: string[]; namespaces?: string[]; timeoutMs?: number };

/**
 * The `before` of most cluster tests: an embedded cluster in a temp folder with a kubeconfig for it,
 * `manifests` applied and their deployments in `namespaces` available within `timeoutMs`.
 * Without `controlPlane`: crt's builtin LocalCluster itself (tests may read its store). With one:
 * the cluster behind the EmbeddedCluster interface on that control plane (`kubernetes`: the real
 * etcd, kube-apiserver, controller-manager and scheduler; gate the suite with requireControlPlane),
 * which tests reach only through the API, as crt does.
 */
export function startTestCluster(opts: TestClusterOptions): Promise<TestCluster>;
export function startTestCluster(opts: TestClusterOptions & { controlPlane: ControlPlaneKind }): Promise<TestCluster<EmbeddedCluster>>;
export async function startTestCluster(opts: TestClusterOptions & { controlPlane?: ControlPlaneKind }): Promise<TestCluster<LocalCluster | EmbeddedCluster>> {
  const { manifests = [], namespaces = ['demo'], timeoutMs = 40_000, controlPlane, ...clusterOpts } = opts;
  const tmp = await tempDir();
  const stateDir = path.join(tmp.dir, 'state');
  const kubeconfig = path.join(tmp.dir, 'kubeconfig');
  let cluster: LocalCluster | EmbeddedCluster | undefined;
  try {
    if (controlPlane === undefined) {
      const local = (cluster = new LocalCluster({ ...clusterOpts, stateDir }));
      await writeEmbeddedKubeconfig(kubeconfig, await local.start());
    } else {
      const embedded = (cluster = await embeddedCluster({ ...clusterOpts, stateDir, controlPlane }));
      await embedded.start();
      await embedded.writeKubeconfig(kubeconfig);
    }
    if (manifests.length > 0) {
      await cluster.applyFiles(manifests);
      await cluster.waitUntilAvailable({ namespaces, timeoutMs });
    }
  } catch (err) {
    // a half-started real control plane holds processes and network namespaces: never leave them to the next suite
    await cluster?.stop().catch(() => undefined);
    await tmp.remove();
    throw err;
  }
  const started = cluster;
  return {
    cluster: started, kubeconfig, tmp,
    async stop() {
      const pids = started.pids();
      await started.stop();
      expect(pids.filter(alive), 'processes alive after stop').to.deep.equal([]);
      await tmp.remove();
    },
  };
}
