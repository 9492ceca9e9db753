import { ListWatch, Watch, type CoreV1Api, type KubeConfig, type V1Pod, type V1PodList } from '@kubernetes/client-node';
import type { Clock, Logger } from '../../core/index.js';
import { apiMessage } from '../../kube/index.js';

export interface PodWatchHandlers {
  /** After each full listing (the first, and every relist after a 410 Gone), before its add/update/delete calls. */
  listed(pods: V1Pod[]): void;
  changed(pod: V1Pod): void;
  deleted(pod: V1Pod): void;
}

/** Wait before listing again after a failed list or watch, as the reflector's back-off starts. */
const retryMs = 1000;
/** The reflector's minimum watch timeout (--min-request-timeout's 1800 s / 6, rounded as client-go does it: 5 min). */
const minWatchTimeoutSec = 300;

/**
 * The pods bound to one node, as the kubelet's reflector sees them: client-node's ListWatch (list, then
 * watch from the list's resourceVersion; a 410 Gone relists; a closed or timed-out watch resumes from
 * the last resourceVersion) with `fieldSelector=spec.nodeName=<node>`. ListWatch stops at any other error:
 * this restarts it after a pause. stop() ends everything, including a watch ListWatch would start after it.
 */
export class PodWatch {
  private readonly abort = new AbortController();
  private readonly informer: ListWatch<V1Pod>;

  constructor(kc: KubeConfig, core: CoreV1Api, nodeName: string, private readonly clock: Clock, private readonly log: Logger, handlers: PodWatchHandlers) {
    const fieldSelector = `spec.nodeName=${nodeName}`;
    const signal = this.abort.signal;
    const list = async (): Promise<V1PodList> => {
      const pods = await core.listPodForAllNamespaces({ fieldSelector });
      if (!signal.aborted) handlers.listed(pods.items);
      return pods;
    };
    this.informer = new ListWatch<V1Pod>('/api/v1/pods', abortableWatch(new Watch(kc), signal), list, false, undefined, fieldSelector);
    const live = <T>(fn: (x: T) => void) => (x: T) => {
      if (!signal.aborted) fn(x);
    };
    this.informer.on('add', live((pod: V1Pod) => handlers.changed(pod)));
    this.informer.on('update', live((pod: V1Pod) => handlers.changed(pod)));
    this.informer.on('delete', live((pod: V1Pod) => handlers.deleted(pod)));
    this.informer.on('error', live((err: unknown) => this.restart(err)));
  }

  start(): void {
    void this.informer.start().catch((err: unknown) => this.restart(err));
  }

  stop(): void {
    this.abort.abort();
    void this.informer.stop();
  }

  private restart(err: unknown): void {
    this.log.warn({ error: apiMessage(err) }, 'kubelet pod watch failed, retrying');
    this.clock.sleep(retryMs, this.abort.signal).then(() => this.start(), () => undefined);
  }
}

/** A Watch that starts nothing once `signal` has aborted, and aborts the watch it runs when it does. */
function abortableWatch(watch: Watch, signal: AbortSignal): Watch {
  const wrapped: Watch = {
    config: watch.config,
    async watch(path: string, query: any, callback: (phase: string, apiObj: any, watchObj?: any) => void, done: (err: any) => void): Promise<AbortController> {
      const own = new AbortController();
      if (signal.aborted) {
        own.abort();
        return own;
      }
      const onAbort = () => own.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      // as the reflector asks: the server ends each watch after 5–10 min (a dead connection is not waited on
      // forever) and sends bookmarks, so that a resumed watch starts from a recent resourceVersion
      const timeoutSeconds = minWatchTimeoutSec + Math.floor(Math.random() * minWatchTimeoutSec);
      const controller = await watch.watch(path, { ...query, timeoutSeconds, allowWatchBookmarks: true }, callback, (err) => {
        signal.removeEventListener('abort', onAbort);
        done(err);
      });
      own.signal.addEventListener('abort', () => controller.abort(), { once: true });
      if (signal.aborted) controller.abort();
      return own;
    },
  };
  return wrapped;
}
