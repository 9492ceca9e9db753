import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, systemClock, type Clock } from '../../../src/core/index.js';
import { embeddedKubeconfig, kubeClients, type KubeClients } from '../../../src/kube/index.js';
import { ApiServer } from '../../../src/localcluster/apiserver/api-server.js';
import type { KObject } from '../../../src/localcluster/api/types.js';
import { Store } from '../../../src/localcluster/store/store.js';
import type { ProbeKind } from '../../../src/plan/schema-probes.js';
import type { ProbeSpec } from '../../../src/plan/types.js';
import { runProbe, type ProbeContext } from '../../../src/probes/index.js';
import type { ProbeResult } from '../../../src/results/types.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The embedded API server over a bare store (no controllers, no kubelets): the probes only read
 * objects, so each test writes the objects and statuses it needs straight into the store.
 */
export class ProbeFixture {
  readonly store = new Store();
  kube!: KubeClients;
  private server!: ApiServer;
  private tmp!: Awaited<ReturnType<typeof tempDir>>;

  async start(): Promise<void> {
    for (const name of ['default', 'demo']) this.store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    this.server = new ApiServer({ store: this.store, bookmarkEveryMs: 200 });
    const url = await this.server.listen();
    this.tmp = await tempDir();
    const kubeconfig = path.join(this.tmp.dir, 'kubeconfig');
    await writeFile(kubeconfig, embeddedKubeconfig(url));
    this.kube = kubeClients({ kubeconfig });
  }

  async stop(): Promise<void> {
    await this.server?.close();
    await this.tmp?.remove();
  }

  /** Writes an object as given, status included. */
  put(resourceKey: string, obj: KObject): KObject {
    return this.store.create(resourceKey, obj.metadata.namespace, obj, { keepStatus: true });
  }

  clear(): void {
    for (const key of ['apps/deployments', 'nodes', 'pods', 'policy/poddisruptionbudgets', 'autoscaling/horizontalpodautoscalers']) {
      for (const o of this.store.snapshot(key)) this.store.removeNow(key, o.metadata.namespace, o.metadata.name!);
    }
  }

  run(kind: ProbeKind, params: Record<string, unknown>, opts: { kube?: KubeClients | null; waitForMs?: number; timeoutMs?: number; clock?: Clock } = {}): Promise<ProbeResult> {
    return runProbe({ ...probeSpec(kind, params, opts.waitForMs ?? 0), timeoutMs: opts.timeoutMs ?? 5_000 }, this.context(opts.kube === null ? undefined : opts.kube ?? this.kube, opts.clock));
  }

  context(kube: KubeClients | undefined, clock: Clock = systemClock): ProbeContext {
    return {
      clock, log: silentLogger, signal: new AbortController().signal, planDir: '.',
      targets: { resolve: () => Promise.reject(new Error('no targets in this test')) },
      ...(kube ? { kube } : {}),
    };
  }
}

export function probeSpec(kind: ProbeKind, params: Record<string, unknown>, waitForMs = 0): ProbeSpec {
  return { kind, name: kind, description: null, timeoutMs: 5_000, waitForMs, params, location: { file: 'plan.yaml', line: 1, col: 1, path: 'probe' } };
}

export function deployment(name: string, o: { namespace?: string; replicas?: number; ready?: number; updated?: number; total?: number; observed?: number; labels?: Record<string, string> } = {}): KObject {
  const replicas = o.replicas ?? 3;
  const labels = o.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: o.namespace ?? 'demo', labels },
    spec: {
      replicas, selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name, image: 'crt.io/demo:1.0' }] } },
    },
    status: {
      observedGeneration: o.observed ?? 1, replicas: o.total ?? replicas, updatedReplicas: o.updated ?? replicas,
      readyReplicas: o.ready ?? replicas, availableReplicas: o.ready ?? replicas,
    },
  };
}

export function node(name: string, ready: 'True' | 'False' | 'Unknown' = 'True'): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [{ type: 'Ready', status: ready }] } };
}

export function pod(name: string, nodeName: string, labels: Record<string, string>, ready = true): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'demo', labels },
    spec: { nodeName, containers: [{ name: 'c', image: 'crt.io/demo:1.0' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}
