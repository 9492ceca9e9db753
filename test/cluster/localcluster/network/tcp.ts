import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { until as waitUntil } from '../../../helpers/until.js';

/**
 * A pod-like TCP backend on its own loopback IP: greets each connection with `<name>\n`, echoes what
 * it receives, and answers a FIN with `<name> bye\n` before ending. Close it in afterEach.
 */
export interface TestBackend {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  /** peer addresses of the connections accepted, in order */
  readonly remotes: string[];
  /** connections open now */
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

export async function startBackend(name: string, ip: string): Promise<TestBackend> {
  const remotes: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = net.createServer({ allowHalfOpen: true }, (s) => {
    remotes.push(s.remoteAddress ?? '?');
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.write(`${name}\n`);
    s.on('data', (d) => s.write(d));
    s.once('end', () => s.end(`${name} bye\n`));
  });
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  return {
    name, ip, port: (server.address() as AddressInfo).port, remotes, sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A client connection that records what it received and how it ended. */
export interface TestClient {
  readonly socket: Socket;
  /** everything received so far */
  readonly text: string;
  /** resolves when the socket closes, with the error code if it closed on an error */
  readonly closed: Promise<string | null>;
  /** resolves once `text` contains `expected`; rejects if the socket closes first */
  waitFor(expected: string): Promise<void>;
}

export async function dial(host: string, port: number, localAddress?: string): Promise<TestClient> {
  const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
  let text = '';
  let error: string | null = null;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
  const closed = new Promise<string | null>((resolve) => socket.once('close', () => resolve(error)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket, closed,
    get text() {
      return text;
    },
    waitFor: (expected) => until(() => text.includes(expected) || socket.destroyed, 5000).then(() => {
      if (!text.includes(expected)) throw new Error(`closed (${error ?? 'no error'}) before ${JSON.stringify(expected)}; got ${JSON.stringify(text)}`);
    }),
  };
}

/** Polls `condition` every 10 ms (the shared until); rejects after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  await waitUntil('condition', condition, timeoutMs, 10);
}

/** A port on `ip` where nothing listens: bound, then closed. */
export async function closedPort(ip: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Connects and resolves with the error code the connection ended on, or null for a clean end. A
 * reset right after the handshake can surface on connect itself (`connect ECONNRESET`) or on the
 * first read: both are the same outcome to a client.
 */
export async function resetOutcome(host: string, port: number): Promise<{ error: string | null; text: string; elapsedMs: number }> {
  const started = Date.now();
  const socket = net.connect({ host, port });
  let text = '';
  let error: string | null = null;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
  await new Promise((resolve) => socket.once('close', resolve));
  return { error, text, elapsedMs: Date.now() - started };
}
