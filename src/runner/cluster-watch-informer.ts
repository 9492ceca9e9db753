import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from '../core/index.js';

/** How long the API server may keep one watch open before crt asks for a new one, at least (client-go: 5 min). */
export const WATCH_TIMEOUT_MIN_SEC = 300;
/**
 * A watch that delivers neither an event nor a bookmark for this long is taken for dead (a stream
 * dropped by a load balancer without a FIN) and restarted with a new list. The API server sends a
 * bookmark about once a minute on a watch that allows them, so a live quiet watch is never restarted.
 */
export const WATCH_STALL_MS = 90_000;

export interface InformerSettings {
  clock: Clock;
  /** no event nor bookmark for this long: the watch is restarted with a relist (default WATCH_STALL_MS) */
  stallMs?: number;
  /** the watch's timeoutSeconds; default a random value in [300, 600) s, as client-go spreads them */
  watchTimeoutSec?: () => number;
  /** a stall was detected and the watch restarted */
  onStall?: (path: string) => void;
}

/** What ListWatch reads to relist: a 410 Gone makes it forget its resourceVersion and list again. */
class WatchStalled extends Error {
  readonly statusCode = 410;
  constructor(path: string, stallMs: number) {
    super(`watch of ${path} delivered nothing for ${Math.round(stallMs / 1000)} s (not even a bookmark): restarted with a new list`);
    this.name = 'WatchStalled';
  }
}

/**
 * client-node's Watch with what client-go's reflector adds and client-node 1.4 lacks: every watch
 * asks for bookmarks (`allowWatchBookmarks`) and ends by itself (`timeoutSeconds`), and a watchdog
 * on the injected clock ends a watch that stays silent past `stallMs` as if the server had answered
 * 410, so that ListWatch lists again instead of waiting on a dead stream. client-node's own watch
 * has no read timeout (its 30 s AbortSignal is overwritten), hence this wrapper.
 */
export class ResilientWatch extends Watch {
  constructor(config: KubeConfig, private readonly s: InformerSettings) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, unknown>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const stallMs = this.s.stallMs ?? WATCH_STALL_MS;
    const timeoutSec = this.s.watchTimeoutSec?.() ?? WATCH_TIMEOUT_MIN_SEC + Math.floor(Math.random() * WATCH_TIMEOUT_MIN_SEC);
    const watchdog = new AbortController();
    let last = this.s.clock.now();
    let ended = false;
    const end = (err: unknown) => {
      if (ended) return;
      ended = true;
      watchdog.abort();
      done(err);
    };
    const inner = await super.watch(path, { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: timeoutSec }, (phase, obj, raw) => {
      last = this.s.clock.now();
      callback(phase, obj, raw);
    }, end);
    const guard = async () => {
      while (!ended) {
        await this.s.clock.sleep(Math.max(1, last + stallMs - this.s.clock.now()), watchdog.signal);
        if (ended || this.s.clock.now() - last < stallMs) continue;
        this.s.onStall?.(path);
        // ended first: aborting the stream makes client-node report an AbortError, which is not the cause
        end(new WatchStalled(path, stallMs));
        inner.abort();
      }
    };
    // the watchdog's sleep rejects when the watch ends first: nothing to do then
    if (!ended) guard().catch(() => undefined);
    return inner;
  }
}

/** An informer (list, then watch from the list's resourceVersion, relist on 410) on a ResilientWatch. */
export function makeResilientInformer<T extends KubernetesObject>(kc: KubeConfig, path: string, list: () => Promise<KubernetesListObject<T>>, s: InformerSettings): ListWatch<T> {
  return new ListWatch<T>(path, new ResilientWatch(kc, s), list, false);
}
