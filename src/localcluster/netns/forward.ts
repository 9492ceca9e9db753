import net from 'node:net';
import { isLoopbackIPv4, UsageError } from '../../core/index.js';
import { forward, reset } from '../network/index.js';
import type { Netns } from './namespace.js';

/** A loopback listener whose connections reach an address inside a namespace. */
export interface LoopbackForward {
  host: string;
  port: number;
  /** Stops listening and cuts the connections it carries. */
  close(): Promise<void>;
}

/** How long a forwarded connection waits for its dial inside the namespace before its client is reset. */
const DIAL_TIMEOUT_MS = 10_000;

/**
 * Listens on 127.0.0.1 (root namespace; port 0 by default) and splices each connection to host:port
 * dialed inside `target` by its broker: the root namespace reaches a fabric without holding an address
 * of it. Half-closes and resets go through (splice.ts); a dial that fails resets the client, as a
 * refused backend does.
 */
export async function forwardFromLoopback(target: Netns, host: string, port: number, listen: { host?: string; port?: number } = {}): Promise<LoopbackForward> {
  const listenHost = listen.host ?? '127.0.0.1';
  if (!isLoopbackIPv4(listenHost)) throw new UsageError(`forwardFromLoopback listens on loopback only, not ${listenHost}`, { hint: 'use an address in 127.0.0.0/8' });
  const live = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    live.add(client);
    client.once('close', () => live.delete(client));
    client.on('error', () => client.destroy());
    target.connect(host, port, DIAL_TIMEOUT_MS).then((upstream) => {
      upstream.allowHalfOpen = true;
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      live.add(upstream);
      upstream.once('close', () => live.delete(upstream));
      client.removeAllListeners('error');
      forward(client, upstream);
    }, () => reset(client));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listenHost, port: listen.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of live) s.destroy();
      });
      return closed;
    },
  };
}
