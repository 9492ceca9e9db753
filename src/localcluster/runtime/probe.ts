import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { hostEnv } from './container-process.js';
import { findExecutable } from './images.js';

/**
 * One probe attempt (httpGet, tcpSocket, exec), its failure worded as the kubelet words it, so events and
 * `kubectl describe` read the same as on a real cluster. Also runs the exec and httpGet lifecycle hooks.
 */

export type ProbeResult = { ok: true } | { ok: false; message: string };

/** Where and as whom a probe runs: the pod's IP, and the container's ports, environment and directory. */
export interface ProbeTarget {
  podIP: string;
  /**
   * The node's address, to dial from: the pod's gate lets the node through whatever the NetworkPolicies
   * say, as CNIs let the kubelet's probes through. Unset: the kernel's choice.
   */
  sourceIP?: string;
  container: any;
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** Rewrites an exec probe's or hook's program as the container's was (e.g. into a network namespace). */
  wrap?: (file: string, args: string[]) => { file: string; args: string[] };
  /** Connects HTTP and TCP probes from where the node's network is (then sourceIP is not used). */
  dial?: (host: string, port: number) => Promise<net.Socket>;
}

/** The kubelet's probe user agent; servers that log it can tell probes from traffic. */
const userAgent = 'kube-probe/1.31';
/** The kubelet reads at most this much of an exec probe's output. */
const maxOutputBytes = 10 * 1024;

/** Runs one attempt of `probe` (a Probe or a lifecycle handler); never rejects. */
export async function runProbe(probe: any, target: ProbeTarget, timeoutMs = (probe?.timeoutSeconds ?? 1) * 1000): Promise<ProbeResult> {
  try {
    if (probe?.httpGet) return await httpProbe(probe.httpGet, target, timeoutMs);
    if (probe?.tcpSocket) return await tcpProbe(probe.tcpSocket, target, timeoutMs);
    if (probe?.exec) return await execProbe(probe.exec.command ?? [], target, timeoutMs);
    if (probe?.grpc) return { ok: false, message: 'grpc probes are not supported by the embedded cluster' };
    return { ok: false, message: 'probe has no handler: give it httpGet, tcpSocket or exec' };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** A port number, or the number of the container port with that name. */
export function resolvePort(port: unknown, container: any): number {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = (container?.ports ?? []).find((p: any) => p.name === port);
  if (named === undefined) throw new Error(`unable to find port ${JSON.stringify(port)} in container ${container?.name}`);
  return Number(named.containerPort);
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's net error text for what Node reports as `code`. */
function dialError(err: NodeJS.ErrnoException, hostPort: string): string {
  const connect: Record<string, string> = {
    ECONNREFUSED: 'connection refused', EHOSTUNREACH: 'no route to host',
    ENETUNREACH: 'network is unreachable', EADDRNOTAVAIL: 'cannot assign requested address',
  };
  const reason = err.code === undefined ? undefined : connect[err.code];
  if (reason !== undefined) return `dial tcp ${hostPort}: connect: ${reason}`;
  if (err.code === 'ECONNRESET' && err.message === 'socket hang up') return 'EOF';
  if (err.code === 'ECONNRESET') return `read tcp ${hostPort}: read: connection reset by peer`;
  return err.message;
}

function httpProbe(action: any, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const host = String(action.host || target.podIP);
  const port = resolvePort(action.port, target.container);
  const scheme = String(action.scheme ?? 'HTTP').toLowerCase();
  const pathPart = String(action.path ?? '/');
  const url = `${scheme}://${joinHostPort(host, port)}${pathPart.startsWith('/') ? '' : '/'}${pathPart}`;
  const headers: Record<string, string> = { 'User-Agent': userAgent, Accept: '*/*', Connection: 'close' };
  for (const h of action.httpHeaders ?? []) headers[String(h.name)] = String(h.value);
  const client = scheme === 'https' ? https : http;
  return new Promise((resolve) => {
    const from = target.sourceIP ? { localAddress: target.sourceIP } : {};
    // without an agent, so that Node's request uses createConnection (agent: false makes an agent of its own)
    const via = target.dial ? { agent: undefined, createConnection: dialedConnection(target.dial, host, port, scheme === 'https') } : { agent: false as const, ...from };
    const req = client.request(url, { method: 'GET', headers, rejectUnauthorized: false, ...via }, (res) => {
      clearTimeout(timer);
      res.destroy();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { ok: true } : { ok: false, message: `HTTP probe failed with statuscode: ${status}` });
    });
    const timer = setTimeout(() => {
      resolve({ ok: false, message: `Get ${JSON.stringify(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `Get ${JSON.stringify(url)}: ${dialError(err, joinHostPort(host, port))}` });
    });
    req.end();
  });
}

/** An http(s) `createConnection` that connects through `dial` (a socket made elsewhere, e.g. in a network namespace). */
function dialedConnection(dial: NonNullable<ProbeTarget['dial']>, host: string, port: number, secure: boolean) {
  return (_opts: unknown, done: (err: Error | null, socket: Duplex) => void): undefined => {
    dial(host, port).then((socket) => done(null, secure ? tls.connect({ socket, rejectUnauthorized: false, servername: host }) : socket), (err: Error) => done(err, new net.Socket()));
    return undefined;
  };
}

function tcpProbe(action: any, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const host = String(action.host || target.podIP);
  const port = resolvePort(action.port, target.container);
  const hostPort = joinHostPort(host, port);
  if (target.dial) return dialProbe(target.dial, host, port, hostPort, timeoutMs);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, ...(target.sourceIP ? { localAddress: target.sourceIP } : {}) });
    const timer = setTimeout(() => {
      resolve({ ok: false, message: `dial tcp ${hostPort}: i/o timeout` });
      socket.destroy();
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: dialError(err, hostPort) });
    });
  });
}

/** Runs `command` as the container would (its environment and directory); exit 0 is success. */
function execProbe(command: unknown[], target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const argv = command.map(String);
  const [program, ...args] = argv;
  if (program === undefined) return Promise.resolve({ ok: false, message: 'exec probe has an empty command' });
  const found = findExecutable(program, { path: target.env.PATH ?? process.env.PATH ?? '', cwd: target.cwd });
  if ('error' in found) return Promise.resolve({ ok: false, message: found.error });
  return new Promise((resolve) => {
    const command = target.wrap ? target.wrap(found.file, args) : { file: found.file, args };
    const child = spawn(command.file, command.args, { cwd: target.cwd, env: { ...hostEnv(), ...target.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < maxOutputBytes) output = (output + chunk.toString('utf8')).slice(0, maxOutputBytes);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: err.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      killGroup(child.pid);
      if (timedOut) resolve({ ok: false, message: `command ${JSON.stringify(argv.join(' '))} timed out` });
      else if (code === 0) resolve({ ok: true });
      else resolve({ ok: false, message: output.trim() || `command ${JSON.stringify(argv.join(' '))} exited with code ${code ?? 'null'}` });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A TCP probe through `dial`: success once the connection is made, within `timeoutMs`. */
async function dialProbe(dial: NonNullable<ProbeTarget['dial']>, host: string, port: number, hostPort: string, timeoutMs: number): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, message: `dial tcp ${hostPort}: i/o timeout` }), timeoutMs);
  });
  const attempt = dial(host, port).then((socket): ProbeResult => {
    socket.destroy();
    return { ok: true };
  }, (err: NodeJS.ErrnoException): ProbeResult => ({ ok: false, message: dialError(err, hostPort) }));
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
