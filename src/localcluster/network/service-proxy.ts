import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { isLoopbackIPv4, parseIPv4, silentLogger, unmapIPv4, type Logger } from '../../core/index.js';
import { forward, hold, reset } from './splice.js';
import { Suspension } from './suspension.js';

/** One endpoint of a Service port: a pod IP and its target port. */
export interface Backend {
  readonly ip: string;
  readonly port: number;
  /** how stats name this backend (the pod name); `ip:port` when absent */
  readonly name?: string;
  /**
   * Where to connect instead of `ip:port`: a pod gate's backend is the pod's private listening
   * address, while `ip:port` stays the pod address that policies decide on.
   */
  readonly dial?: { readonly host: string; readonly port: number };
}

/** What a gate and a `cut` predicate know of one client connection. */
export interface ConnectionInfo {
  /** the caller: a pod IP, or 127.0.0.1 for traffic from outside the cluster */
  readonly srcIp: string;
  readonly srcPort: number;
  /** the address the client dialled: the Service IP and port, or 127.0.0.1 and a node port */
  readonly dstIp: string;
  readonly dstPort: number;
  /** the backend round-robin chose for it */
  readonly backend: Backend;
}

export type Verdict = 'allow' | 'drop';

/**
 * Admission of a new connection, called once per connection after its backend is chosen and before
 * anything is dialled. `drop` behaves as a CNI dropping packets: the client never gets a byte and
 * waits for its own timeout. A userspace proxy has accepted the connection by then (the kernel
 * completes the handshake on the listening socket before the proxy knows the backend), so the
 * client sees its connect succeed and then no answer: a read timeout where a real network gives a
 * connect timeout. Both end the request at the client's own timeout, which is what the numbers show;
 * refusing instead would be a reset, the very kindness this models away. A gate that throws, or answers anything else, has the connection reset
 * (fail closed, and loudly: it is logged).
 */
export type Gate = (conn: ConnectionInfo) => Verdict;

export interface ServiceProxyOptions {
  gate?: Gate;
  log?: Logger;
  /**
   * How to connect to a backend (default: a TCP connection from this process, from the client's source
   * address). The real-control-plane mode dials from inside the fabric's hub namespace.
   */
  dial?: (host: string, port: number) => Promise<Socket>;
}

export interface ProxyStats {
  /** client connections open now, dropped ones still held included */
  activeConnections: number;
  /** client connections accepted since the proxy started */
  totalConnections: number;
  /** connections reset before any byte was forwarded: no backends, backend unreachable, gate error */
  rejected: number;
  /** connections a gate dropped */
  dropped: number;
  /** established connections black-holed since (`blackHole`): neither end hears from the other again */
  blackHoled: number;
  /** connections sent to each backend since the start (dialled, whether or not it answered), by name or `ip:port` */
  perBackend: Map<string, number>;
}

interface Tracked {
  readonly info: ConnectionInfo;
  readonly client: Socket;
  upstream: Socket | null;
  /** unjoins client and upstream (set once forwarding starts) */
  detach: (() => void) | null;
  /** dropped by the gate or black-holed: held until its ends give up (or `resume`), never reset or black-holed again */
  held: boolean;
  /** what a black-holed connection's ends sent meanwhile, until `resume` */
  suspension: Suspension | null;
}

/**
 * The kube-proxy of one Service port: a TCP proxy on the Service's loopback IP that spreads new
 * connections round-robin over the current endpoints. A connection keeps its backend for life, as a
 * conntrack entry does, whatever `setBackends` says later. Calling `listen` again exposes the same
 * Service elsewhere (a NodePort on 127.0.0.1:<nodePort>): every listener shares backends, gate,
 * round-robin cursor and stats.
 */
export class ServiceProxy {
  readonly #gate: Gate | undefined;
  readonly #log: Logger;
  readonly #dialer: ((host: string, port: number) => Promise<Socket>) | undefined;
  readonly #servers: Server[] = [];
  readonly #conns = new Set<Tracked>();
  #backends: readonly Backend[] = [];
  #next = 0;
  #closing: Promise<void> | null = null;
  #total = 0;
  #rejected = 0;
  #dropped = 0;
  #blackHoled = 0;
  readonly #perBackend = new Map<string, number>();

  constructor(options: ServiceProxyOptions = {}) {
    this.#gate = options.gate;
    this.#log = options.log ?? silentLogger;
    this.#dialer = options.dial;
  }

  /** Listens on `host:port` (0 picks a free port) and resolves with the bound port. */
  async listen(host: string, port = 0): Promise<number> {
    if (this.#closing) throw new Error('listen() after close(): this ServiceProxy is closed');
    // half-open: each direction's FIN is passed on on its own, as a packet-level proxy would
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.#accept(client));
    this.#servers.push(server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.#servers.splice(this.#servers.indexOf(server), 1);
      throw err;
    }
    server.on('error', (err) => this.#log.error({ err, host, port }, 'service proxy listener failed'));
    return (server.address() as AddressInfo).port;
  }

  /**
   * Serves the connections of a server listening already (one made inside a network namespace): every
   * connection it accepts is this proxy's; close() closes it.
   */
  adopt(server: Server): void {
    if (this.#closing) throw new Error('adopt() after close(): this ServiceProxy is closed');
    this.#servers.push(server);
    server.on('connection', (client: Socket) => this.#accept(client));
    server.on('error', (err) => this.#log.error({ err }, 'service proxy listener failed'));
  }

  /** How many backends new connections are spread over now. */
  get backendCount(): number {
    return this.#backends.length;
  }

  /** The bound addresses, in `listen` order. */
  addresses(): Array<{ host: string; port: number }> {
    return this.#servers.map((s) => {
      const a = s.address() as AddressInfo;
      return { host: a.address, port: a.port };
    });
  }

  /** Replaces the endpoints (called by the endpoints controller); established connections keep theirs. */
  setBackends(backends: readonly Backend[]): void {
    for (const b of backends) {
      if (!validAddress(b.ip, b.port) || (b.dial && !validAddress(b.dial.host, b.dial.port))) {
        throw new TypeError(`invalid backend ${JSON.stringify(b)}: expected an IPv4 address and a port 1-65535`);
      }
    }
    this.#backends = Object.freeze(backends.map((b) => ({ ...b })));
  }

  /**
   * Resets every forwarded connection whose info matches; returns how many. Held connections (dropped
   * by the gate, or black-holed) stay held: their packets go nowhere, so no reset reaches them either.
   */
  cut(predicate: (conn: ConnectionInfo) => boolean): number {
    let count = 0;
    for (const conn of this.#conns) {
      if (conn.held || !predicate(conn.info)) continue;
      reset(conn.client);
      if (conn.upstream) reset(conn.upstream);
      count++;
    }
    return count;
  }

  /**
   * Black-holes every forwarded connection whose info matches, as a network that starts dropping its
   * packets: from now on neither end hears from the other — no byte, no FIN, no reset, even when the
   * backend's process dies — and each end waits for its own timeout. What they send meanwhile is kept
   * for `resume` (see Suspension). Returns how many.
   */
  blackHole(predicate: (conn: ConnectionInfo) => boolean): number {
    let count = 0;
    for (const conn of this.#conns) {
      if (conn.held || !predicate(conn.info)) continue;
      conn.held = true;
      conn.detach?.();
      conn.detach = null;
      if (conn.upstream) conn.suspension = new Suspension(conn.client, conn.upstream);
      else hold(conn.client);
      count++;
    }
    this.#blackHoled += count;
    return count;
  }

  /**
   * The network carries the black-holed connections that match again (a link back, a policy gone):
   * what each end sent meanwhile is delivered and forwarding resumes, as TCP retransmissions get
   * through once a partition heals; an end that gave up meanwhile has its peer reset. Connections the
   * gate dropped when they were new stay held (their client gave up on the handshake). Returns how many.
   */
  resume(predicate: (conn: ConnectionInfo) => boolean): number {
    let count = 0;
    for (const conn of this.#conns) {
      if (!conn.suspension || !predicate(conn.info)) continue;
      conn.detach = conn.suspension.resume();
      conn.suspension = null;
      conn.held = false;
      count++;
    }
    return count;
  }

  stats(): ProxyStats {
    return {
      activeConnections: this.#conns.size,
      totalConnections: this.#total,
      rejected: this.#rejected,
      dropped: this.#dropped,
      blackHoled: this.#blackHoled,
      perBackend: new Map(this.#perBackend),
    };
  }

  /** Destroys every connection and stops every listener; resolves once all are closed. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const { client, upstream } of this.#conns) {
        closed.push(destroyed(client));
        if (upstream) closed.push(destroyed(upstream));
      }
      await Promise.all(closed);
    })();
    return this.#closing;
  }

  #accept(client: Socket): void {
    this.#total++;
    const backend = this.#pick();
    // the peer may already be gone, and then it has no address left to read
    if (this.#closing || backend === null || client.remoteAddress === undefined) {
      // kube-proxy rejects traffic to a Service without endpoints: the client sees a reset, at once
      this.#reject(client);
      return;
    }
    const info: ConnectionInfo = {
      srcIp: unmapIPv4(client.remoteAddress), srcPort: client.remotePort ?? 0,
      dstIp: unmapIPv4(client.localAddress ?? ''), dstPort: client.localPort ?? 0, backend,
    };
    const conn: Tracked = { info, client, upstream: null, detach: null, held: false, suspension: null };
    this.#conns.add(conn);
    client.once('close', () => this.#conns.delete(conn));
    const verdict = this.#admit(info);
    if (verdict === 'drop') {
      this.#dropped++;
      conn.held = true;
      hold(client);
    } else if (verdict === 'allow') {
      this.#dial(conn);
    } else {
      this.#reject(client);
    }
  }

  #reject(client: Socket): void {
    this.#rejected++;
    client.on('error', () => undefined);
    client.resetAndDestroy();
  }

  #admit(info: ConnectionInfo): Verdict | 'reject' {
    if (!this.#gate) return 'allow';
    try {
      const verdict = this.#gate(info);
      if (verdict === 'allow' || verdict === 'drop') return verdict;
      throw new TypeError(`gate returned ${String(verdict)}, not 'allow' or 'drop'`);
    } catch (err) {
      this.#log.error({ err, src: `${info.srcIp}:${info.srcPort}`, dst: `${info.dstIp}:${info.dstPort}` }, 'service proxy gate threw: connection rejected');
      return 'reject';
    }
  }

  #dial(conn: Tracked): void {
    const { backend, srcIp } = conn.info;
    const key = backend.name ?? `${backend.ip}:${backend.port}`;
    this.#perBackend.set(key, (this.#perBackend.get(key) ?? 0) + 1);
    if (this.#dialer) {
      this.#dialVia(this.#dialer, conn, key);
      return;
    }
    const upstream = net.connect({
      host: backend.dial?.host ?? backend.ip, port: backend.dial?.port ?? backend.port, localAddress: sourceAddress(srcIp), allowHalfOpen: true, noDelay: true,
    });
    conn.upstream = upstream;
    let connected = false;
    upstream.once('connect', () => (connected = true));
    upstream.once('error', (err) => {
      if (!connected) this.#rejected++;
      this.#log.debug({ err, backend: key, connected }, 'service proxy backend connection failed');
    });
    conn.detach = forward(conn.client, upstream);
  }

  /** A connection through `dialer`: the client waits (paused) until it is made; a failed one is reset, as a refused dial. */
  #dialVia(dialer: (host: string, port: number) => Promise<Socket>, conn: Tracked, key: string): void {
    const { backend } = conn.info;
    conn.client.pause();
    dialer(backend.dial?.host ?? backend.ip, backend.dial?.port ?? backend.port).then((upstream) => {
      if (conn.client.destroyed || this.#closing) {
        upstream.destroy();
        return;
      }
      conn.upstream = upstream;
      upstream.on('error', (err) => this.#log.debug({ err, backend: key, connected: true }, 'service proxy backend connection failed'));
      conn.detach = forward(conn.client, upstream);
      conn.client.resume();
    }, (err: unknown) => {
      this.#rejected++;
      this.#log.debug({ err, backend: key, connected: false }, 'service proxy backend connection failed');
      reset(conn.client);
    });
  }

  #pick(): Backend | null {
    const list = this.#backends;
    if (list.length === 0) return null;
    const backend = list[this.#next % list.length]!;
    this.#next = (this.#next + 1) % list.length;
    return backend;
  }
}

function validAddress(ip: string, port: number): boolean {
  return parseIPv4(ip) !== null && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Destroys `socket` and resolves once it has emitted 'close', when its file descriptor is released. */
function destroyed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.destroy();
  return closed;
}

/**
 * The address to dial the backend from, so that the pod sees which pod called it. None for
 * 127.0.0.1 (outside callers): the kernel picks it anyway, and an explicit bind would take an
 * ephemeral port of 127.0.0.1 for every connection whatever its destination.
 */
function sourceAddress(srcIp: string): string | undefined {
  return isLoopbackIPv4(srcIp) && srcIp !== '127.0.0.1' ? srcIp : undefined;
}
