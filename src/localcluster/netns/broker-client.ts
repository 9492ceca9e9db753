import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../../core/index.js';
import type { BrokerReply, BrokerRequest } from './broker-protocol.js';

const brokerEntry = fileURLToPath(new URL('./broker.js', import.meta.url));

/** How long a broker may take to start (a Node process: about 50 ms on an idle machine). */
const startTimeoutMs = 15_000;

type BrokerRequestBody = { op: 'listen'; host: string; port: number } | { op: 'connect'; host: string; port: number; timeoutMs: number };

interface Waiter {
  resolve(handle: unknown): void;
  reject(err: Error): void;
  kind: 'listen' | 'connect';
}

/** A failure the broker reported for a socket operation, with the errno code (ECONNREFUSED, ETIMEDOUT, ...). */
export class SocketOpError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/**
 * The parent's side of one namespace's broker (broker.ts): asks it for a server or a connection and
 * takes the socket it hands back.
 */
export class BrokerClient {
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();
  /** servers handed over, by request id: a connection they accepted before the hand-over follows them */
  private readonly servers = new Map<number, net.Server>();
  private stderr = '';
  private exited = false;

  private constructor(private readonly child: ChildProcess, readonly namespace: string) {
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-2000); });
    child.on('message', (msg: BrokerReply, handle: unknown) => this.onReply(msg, handle));
    child.once('exit', () => {
      this.exited = true;
      for (const w of this.waiters.values()) w.reject(new EnvironmentError(`the broker of network namespace ${namespace} ended: ${this.stderr.trim() || 'no message'}`));
      this.waiters.clear();
    });
  }

  /** Starts the broker of `namespace` and waits until it answers. */
  static async start(namespace: string): Promise<BrokerClient> {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, brokerEntry], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const client = new BrokerClient(child, namespace);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new EnvironmentError(`the broker of network namespace ${namespace} did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
      client.waiters.set(0, { kind: 'connect', resolve: () => { clearTimeout(timer); resolve(); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      child.once('error', (e) => { clearTimeout(timer); reject(new EnvironmentError(`cannot start the broker of network namespace ${namespace}: ${e.message}`, { hint: 'is iproute2 (ip) installed?' })); });
    });
    try {
      await ready;
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  listen(host: string, port: number): Promise<net.Server> {
    return this.request({ op: 'listen', host, port }) as Promise<net.Server>;
  }

  connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
    return this.request({ op: 'connect', host, port, timeoutMs }) as Promise<net.Socket>;
  }

  private request(req: BrokerRequestBody): Promise<unknown> {
    if (this.exited || !this.child.connected) return Promise.reject(new EnvironmentError(`the broker of network namespace ${this.namespace} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { resolve, reject, kind: req.op });
      const msg: BrokerRequest = { ...req, id };
      this.child.send(msg, (err) => {
        if (!err) return;
        this.waiters.delete(id);
        reject(err);
      });
    });
  }

  private onReply(msg: BrokerReply, handle: unknown): void {
    if (msg.ok && msg.stray) {
      const server = this.servers.get(msg.id);
      if (server?.listening) server.emit('connection', handle);
      else (handle as net.Socket | undefined)?.destroy();
      return;
    }
    const waiter = this.waiters.get(msg.id);
    if (!waiter) {
      // an answer nobody waits for any more: let go of its socket
      if (handle instanceof net.Server) handle.close();
      else if (handle instanceof net.Socket) handle.destroy();
      return;
    }
    this.waiters.delete(msg.id);
    if (!msg.ok) {
      waiter.reject(new SocketOpError(msg.message, msg.code));
      return;
    }
    if (waiter.kind === 'listen' && handle instanceof net.Server) {
      this.servers.set(msg.id, handle);
      handle.once('close', () => this.servers.delete(msg.id));
    }
    waiter.resolve(handle);
  }

  /** Stops the broker (the servers and sockets it handed over are the parent's and stay open). */
  async close(): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}
