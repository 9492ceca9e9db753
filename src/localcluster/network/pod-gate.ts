import { silentLogger, type Logger } from '../../core/index.js';
import { ServiceProxy, type Gate } from './service-proxy.js';

export interface PodGateOptions {
  /** the pod's address: where the gate listens, what other pods dial and policies decide on */
  podIP: string;
  /** the pod's private address, where its containers listen ($HOST) */
  bindIP: string;
  /** how stats name the backend (the pod name) */
  name?: string;
  /** the NetworkPolicy decision, the same one the Service proxies use */
  gate: Gate;
  log?: Logger;
}

/** A port the gate could not take, with why: EADDRINUSE when a container bound the pod IP itself. */
export interface GateFailure {
  readonly port: number;
  readonly error: NodeJS.ErrnoException;
}

/**
 * The ingress gate of one pod: what a CNI's per-pod filter is on a real node. A pod's containers
 * listen on a private loopback address (`$HOST`); the gate listens on `<podIP>:<port>` for each
 * port the kubelet knows of, asks the NetworkPolicy gate about every new connection, and forwards
 * the allowed ones to `<bindIP>:<port>` from the caller's own address. It is a ServiceProxy with
 * one backend per port, so drops, holds, resets on `cut` and statistics behave as the Service
 * proxies' do. Direct pod-IP traffic, and Service traffic after the Service proxy, both pass here.
 */
export class PodGate {
  readonly podIP: string;
  readonly bindIP: string;
  readonly #opts: PodGateOptions;
  readonly #proxies = new Map<number, ServiceProxy>();
  /** ports being opened now: a second open() of the same port is not a conflict */
  readonly #opening = new Set<number>();
  #closed = false;

  constructor(opts: PodGateOptions) {
    this.#opts = opts;
    this.podIP = opts.podIP;
    this.bindIP = opts.bindIP;
  }

  /**
   * Listens on `podIP:port` for each of `ports` not gated yet; resolves with the ports that could not
   * be taken (they stay ungated: whatever holds them is reached directly, unfiltered).
   */
  async open(ports: Iterable<number>): Promise<GateFailure[]> {
    const wanted = [...new Set(ports)].filter((p) => !this.#proxies.has(p) && !this.#opening.has(p));
    for (const p of wanted) this.#opening.add(p);
    const results = await Promise.all(wanted.map(async (port): Promise<GateFailure | null> => {
      if (this.#closed) return null;
      const proxy = new ServiceProxy({ gate: this.#opts.gate, log: this.#opts.log ?? silentLogger });
      proxy.setBackends([{ ip: this.podIP, port, ...(this.#opts.name ? { name: this.#opts.name } : {}), dial: { host: this.bindIP, port } }]);
      try {
        await proxy.listen(this.podIP, port);
      } catch (err) {
        await proxy.close();
        return { port, error: err as NodeJS.ErrnoException };
      } finally {
        this.#opening.delete(port);
      }
      // registered once listening, so that a close() meanwhile (the pod was deleted) is not missed
      if (this.#closed) await proxy.close();
      else this.#proxies.set(port, proxy);
      return null;
    }));
    return results.filter((r): r is GateFailure => r !== null);
  }

  /** The gated ports, ascending. */
  ports(): number[] {
    return [...this.#proxies.keys()].sort((a, b) => a - b);
  }

  /** One ServiceProxy per gated port (for `cut` on policy changes, and statistics). */
  proxies(): ServiceProxy[] {
    return [...this.#proxies.values()];
  }

  /** Stops listening and resets every gated connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#proxies.values()];
    this.#proxies.clear();
    await Promise.all(all.map((p) => p.close()));
  }
}
