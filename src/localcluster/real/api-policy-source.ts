import { CoreV1Api, makeInformer, NetworkingV1Api, type Informer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../../core/index.js';
import type { KObject } from '../api/index.js';
import type { PolicySource } from '../network/index.js';

type Resource = 'namespaces' | 'pods' | 'networking.k8s.io/networkpolicies';
type Listener = Parameters<PolicySource['watch']>[3];

/**
 * The NetworkPolicy engine's view of the real API server: informers (list, then watch) of Namespaces,
 * Pods and NetworkPolicies, whose events reach the engine as the builtin store's watch events do, so
 * that both control planes decide flows with the same code (policy-rules.ts).
 */
export class ApiPolicySource implements PolicySource {
  readonly #informers: Record<Resource, Informer<KubernetesObject>>;
  readonly #log: Logger;

  constructor(kc: KubeConfig, log?: Logger) {
    const core = kc.makeApiClient(CoreV1Api);
    const networking = kc.makeApiClient(NetworkingV1Api);
    this.#log = (log ?? silentLogger).child({ component: 'network-policy' });
    this.#informers = {
      namespaces: makeInformer(kc, '/api/v1/namespaces', () => core.listNamespace()),
      pods: makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces()),
      'networking.k8s.io/networkpolicies': makeInformer(kc, '/apis/networking.k8s.io/v1/networkpolicies', () => networking.listNetworkPolicyForAllNamespaces()),
    };
    for (const informer of Object.values(this.#informers)) {
      informer.on('error', (err: unknown) => {
        this.#log.warn({ err }, 'network policy watch failed; restarting it');
        setTimeout(() => void informer.start().catch(() => undefined), 1000).unref();
      });
    }
  }

  watch(resource: Resource, _namespace: undefined, _opts: Record<string, never>, onEvent: Listener): () => void {
    const informer = this.#informers[resource];
    const added = (o: KubernetesObject): void => onEvent({ type: 'ADDED', object: plain(resource, o) });
    const modified = (o: KubernetesObject): void => onEvent({ type: 'MODIFIED', object: plain(resource, o) });
    const deleted = (o: KubernetesObject): void => onEvent({ type: 'DELETED', object: plain(resource, o) });
    informer.on('add', added);
    informer.on('update', modified);
    informer.on('delete', deleted);
    return () => {
      informer.off('add', added);
      informer.off('update', modified);
      informer.off('delete', deleted);
    };
  }

  /** Lists and starts watching; resolves once the first lists are delivered. */
  async start(): Promise<void> {
    await Promise.all(Object.values(this.#informers).map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.#informers).map((i) => i.stop()));
  }
}

/**
 * The object as the API serves it: client-node's model names an ingress rule's `from` `_from` (a
 * keyword in its generator's languages); everything the engine reads is otherwise spelled as in JSON.
 */
function plain(resource: Resource, o: KubernetesObject): KObject {
  const obj = o as unknown as KObject;
  if (resource !== 'networking.k8s.io/networkpolicies' || !Array.isArray(obj.spec?.ingress)) return obj;
  const ingress = obj.spec.ingress.map((r: any) => (r && '_from' in r ? { ...r, from: r._from } : r));
  return { ...obj, spec: { ...obj.spec, ingress } };
}
