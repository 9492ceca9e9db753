import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { Log } from '@kubernetes/client-node';
import { apiStatus, type KubeClients } from '../kube/index.js';

/** A container waiting to start answers 400 to a log request: asked again this often, this many times. */
const WAITING_RETRY_MS = 500;
const WAITING_RETRIES = 5;

/**
 * The lines of one container's log as the kubelet streams them (`follow=true`), from its first line
 * until the container ends or `signal` aborts. One request per container: nothing is read twice, and
 * the kubelet follows the log across its rotation (10 MiB by default), where reading the whole log
 * again at each poll loses the rotated part. The container is named, so a pod with a mesh sidecar
 * still answers (the API refuses an unnamed container then). Errors are thrown, never taken for an
 * empty log.
 */
export async function* followContainerLog(kube: KubeClients, namespace: string, pod: string, container: string, signal: AbortSignal): AsyncGenerator<string> {
  const out = new PassThrough();
  let request: AbortController | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      request = await new Log(kube.kc).log(namespace, pod, container, out, { follow: true });
      break;
    } catch (err) {
      if (apiStatus(err) !== 400 || attempt >= WAITING_RETRIES || signal.aborted) {
        // client-node's Log keeps no Status body: the code says what is known
        const status = apiStatus(err);
        const why = status === 400 ? 'the API server answered 400 (no such container in the pod, or it has not started)' : status ? `the API server answered ${status}` : err instanceof Error ? err.message : String(err);
        throw new Error(`cannot read the log of container ${container} of pod ${namespace}/${pod}: ${why}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, WAITING_RETRY_MS));
    }
  }
  const stop = () => {
    request?.abort();
    out.end();
  };
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const line of createInterface({ input: out, crlfDelay: Infinity })) yield line;
  } finally {
    signal.removeEventListener('abort', stop);
    request.abort();
  }
}

/** Yields the items of several async iterables as they come; ends when all have ended. A failure of one ends all. */
export async function* merged<T>(sources: ReadonlyArray<AsyncIterable<T>>): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const next = (i: number) => iterators[i]!.next().then((r) => ({ i, r }));
  const pending = new Map(iterators.map((_, i) => [i, next(i)]));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pending.set(i, next(i));
      yield r.value;
    }
  } finally {
    // not awaited: a source still waiting for its next line answers return() only once that line (or its end) comes
    for (const it of iterators) it.return?.().catch(() => undefined);
  }
}
