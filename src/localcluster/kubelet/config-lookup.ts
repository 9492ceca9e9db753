import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from '../../core/index.js';
import { apiMessage, apiStatus } from '../../kube/index.js';

type Kind = 'ConfigMap' | 'Secret';

/**
 * ConfigMaps and Secrets for the pods' environment, read through the API. The runtime looks them up
 * synchronously at each container (re)start, so this keeps what it read: `prefetch` reads every object a
 * pod refers to before it starts, and a lookup of an object not held (or older than `ttlMs`) answers
 * from what is held and reads it again, so that the runtime's next retry sees an object created since —
 * the kubelet's TTL cache strategy for ConfigMaps and Secrets.
 */
export class ConfigLookups {
  private readonly held = new Map<string, { data: Record<string, string> | undefined; atMs: number }>();
  private readonly reading = new Map<string, Promise<void>>();

  constructor(private readonly core: CoreV1Api, private readonly now: () => number, private readonly log: Logger, private readonly ttlMs = 5_000) {}

  /** Reads every ConfigMap and Secret the pod's containers refer to (env, envFrom). */
  async prefetch(pod: any): Promise<void> {
    const ns = String(pod.metadata?.namespace ?? 'default');
    await Promise.all(references(pod).map(([kind, name]) => this.read(kind, ns, name)));
  }

  lookup(kind: Kind, namespace: string, name: string): Record<string, string> | undefined {
    const held = this.held.get(key(kind, namespace, name));
    if (!held || this.now() - held.atMs > this.ttlMs) void this.read(kind, namespace, name);
    return held?.data;
  }

  private read(kind: Kind, namespace: string, name: string): Promise<void> {
    const k = key(kind, namespace, name);
    const pending = this.reading.get(k);
    if (pending) return pending;
    const reading = this.fetch(kind, namespace, name)
      .then((data) => void this.held.set(k, { data, atMs: this.now() }))
      .catch((err: unknown) => this.log.warn({ kind, namespace, name, error: apiMessage(err) }, 'kubelet could not read a pod reference'))
      .finally(() => this.reading.delete(k));
    this.reading.set(k, reading);
    return reading;
  }

  private async fetch(kind: Kind, namespace: string, name: string): Promise<Record<string, string> | undefined> {
    try {
      if (kind === 'ConfigMap') return (await this.core.readNamespacedConfigMap({ name, namespace })).data ?? {};
      const secret = await this.core.readNamespacedSecret({ name, namespace });
      const decoded: Record<string, string> = { ...(secret.stringData ?? {}) };
      for (const [k, v] of Object.entries(secret.data ?? {})) decoded[k] = Buffer.from(v, 'base64').toString('utf8');
      return decoded;
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    }
  }
}

function key(kind: Kind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** [kind, name] of every ConfigMap and Secret a pod's containers refer to. */
export function references(pod: any): Array<[Kind, string]> {
  const out = new Map<string, [Kind, string]>();
  const add = (kind: Kind, name: unknown) => {
    if (typeof name === 'string' && name) out.set(`${kind}/${name}`, [kind, name]);
  };
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const from of c.envFrom ?? []) {
      add('ConfigMap', from.configMapRef?.name);
      add('Secret', from.secretRef?.name);
    }
    for (const e of c.env ?? []) {
      add('ConfigMap', e.valueFrom?.configMapKeyRef?.name);
      add('Secret', e.valueFrom?.secretKeyRef?.name);
    }
  }
  return [...out.values()];
}
