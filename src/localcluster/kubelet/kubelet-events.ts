import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import type { Clock, Logger } from '../../core/index.js';
import { apiMessage, apiStatus } from '../../kube/index.js';
import type { PodEvent } from '../runtime/index.js';
import { rfc3339 } from './node-reporter.js';

/** Repeats within this window bump one Event's count, as client-go's event correlator does. */
const AGGREGATE_WINDOW_MS = 10 * 60_000;

/**
 * The kubelet's event recorder over the API: core/v1 Events with the involved object, `source`
 * `{component: kubelet, host: <node>}`, a repeat of the same event bumping `count` and `lastTimestamp`.
 * Events of the Node (cluster-scoped) go to `default`, its uid being the node name, as the kubelet's nodeRef.
 * Recording never throws: an event is not worth failing a pod for; failures are logged.
 */
export class KubeletEvents {
  private readonly recent = new Map<string, { namespace: string; name: string; count: number; atMs: number }>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly host: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** The Node's own reference, as the kubelet builds it (uid = node name). */
  nodeRef(): KubernetesObject {
    return { apiVersion: 'v1', kind: 'Node', metadata: { name: this.host, uid: this.host } };
  }

  async record(obj: KubernetesObject, event: PodEvent): Promise<void> {
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const nowMs = this.clock.wallNow();
    const key = [meta.uid, event.reason, event.message, event.type, event.fieldPath ?? ''].join('\u0000');
    const seen = this.recent.get(key);
    try {
      if (seen && nowMs - seen.atMs < AGGREGATE_WINDOW_MS && (await this.bump(seen, nowMs))) return;
      const name = `${meta.name}.${randomBytes(8).toString('hex')}`;
      const stamp = rfc3339(nowMs);
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          apiVersion: 'v1', kind: 'Event', metadata: { name, namespace },
          involvedObject: {
            kind: obj.kind, ...(meta.namespace ? { namespace: meta.namespace } : {}), name: meta.name, uid: meta.uid,
            apiVersion: obj.apiVersion, ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
            ...(event.fieldPath ? { fieldPath: event.fieldPath } : {}),
          },
          reason: event.reason, message: event.message, type: event.type,
          source: { component: 'kubelet', host: this.host },
          firstTimestamp: stamp as any, lastTimestamp: stamp as any, count: 1,
          reportingComponent: 'kubelet', reportingInstance: this.host,
        },
      });
      this.recent.set(key, { namespace, name, count: 1, atMs: nowMs });
      this.prune(nowMs);
    } catch (err) {
      this.log.warn({ reason: event.reason, object: meta.name, error: apiMessage(err) }, 'kubelet could not record event');
    }
  }

  /** false when the Event is gone (expired, namespace deleted): a new one is created. */
  private async bump(seen: { namespace: string; name: string; count: number; atMs: number }, nowMs: number): Promise<boolean> {
    const count = seen.count + 1;
    try {
      await this.core.patchNamespacedEvent({ name: seen.name, namespace: seen.namespace, body: { count, lastTimestamp: rfc3339(nowMs) } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    } catch (err) {
      if (apiStatus(err) === 404) return false;
      throw err;
    }
    seen.count = count;
    seen.atMs = nowMs;
    return true;
  }

  private prune(nowMs: number): void {
    if (this.recent.size < 2000) return;
    for (const [k, v] of this.recent) if (nowMs - v.atMs > AGGREGATE_WINDOW_MS) this.recent.delete(k);
  }
}
