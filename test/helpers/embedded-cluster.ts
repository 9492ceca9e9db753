import path from 'node:path';
import { expect } from 'chai';
import { writeEmbeddedKubeconfig } from '../../src/kube/index.js';
import { LocalCluster, type LocalClusterOptions } from '../../src/localcluster/index.js';
import { alive } from './processes.js';
import { tempDir } from './tmp.js';

export interface TestCluster {
  cluster: LocalCluster;
  /** the cluster's kubeconfig, in `tmp.dir` */
  kubeconfig: string;
  /** the temp folder holding the state, the kubeconfig and whatever the test writes */
  tmp: { dir: string };
  /** Stops the cluster, checks that no pod process outlived it, and removes the temp folder. */
  stop(): Promise<void>;
}

/**
 * The `before` of most cluster tests: an embedded cluster in a temp folder with a kubeconfig for it,
 * `manifests` applied and their deployments in `namespaces` available within `timeoutMs`.
 */
export async function startTestCluster(
  opts: Omit<LocalClusterOptions, 'stateDir'> & { manifests?: string[]; namespaces?: string[]; timeoutMs?: number },
): Promise<TestCluster> {
  const { manifests = [], namespaces = ['demo'], timeoutMs = 40_000, ...clusterOpts } = opts;
  const tmp = await tempDir();
  const cluster = new LocalCluster({ ...clusterOpts, stateDir: path.join(tmp.dir, 'state') });
  const url = await cluster.start();
  const kubeconfig = path.join(tmp.dir, 'kubeconfig');
  await writeEmbeddedKubeconfig(kubeconfig, url);
  if (manifests.length > 0) {
    await cluster.applyFiles(manifests);
    await cluster.waitUntilAvailable({ namespaces, timeoutMs });
  }
  return {
    cluster, kubeconfig, tmp,
    async stop() {
      const pids = cluster.pids();
      await cluster.stop();
      expect(pids.filter(alive), 'pod processes alive after stop').to.deep.equal([]);
      await tmp.remove();
    },
  };
}
