/**
 * The broker: a small program the root-namespace crt starts inside one network namespace
 * (`ip netns exec <ns> node broker.js`, with an IPC channel). On request it opens a listening server or
 * an outgoing connection there and hands the socket itself to its parent with `process.send(msg, handle)`
 * (Node's IPC handle passing, SCM_RIGHTS): a socket keeps the namespace it was created in, so the parent
 * then owns a socket of this namespace and no byte goes through the broker.
 *
 * It ends by itself once its parent is gone: the IPC channel closes and nothing else holds the loop.
 */
import net from 'node:net';
import type { BrokerReply, BrokerRequest } from './broker-protocol.js';

const pending = new Set<net.Socket>();

function reply(msg: BrokerReply, handle?: net.Socket | net.Server, sent?: () => void): void {
  if (!process.connected) return;
  process.send!(msg, handle, {}, () => sent?.());
}

function failure(id: number, err: unknown): BrokerReply {
  const e = err as NodeJS.ErrnoException;
  return { id, ok: false, code: e.code ?? 'EBROKER', message: e.message ?? String(err) };
}

function listen(id: number, host: string, port: number): void {
  // pauseOnConnect: a connection accepted here before the server is closed (it is handed over while
  // listening) is passed on unread, so that no byte of it is lost
  const server = net.createServer({ pauseOnConnect: true }, (socket) => reply({ id, ok: true, stray: true }, socket));
  server.once('error', (err) => reply(failure(id, err)));
  server.listen({ host, port, exclusive: true }, () => reply({ id, ok: true }, server, () => server.close()));
}

function connect(id: number, host: string, port: number, timeoutMs: number): void {
  const socket = new net.Socket();
  // paused before it connects, the socket never starts reading: a byte the peer sends first stays in the
  // kernel for the parent (a socket handed over after reading would lose what it had read)
  socket.pause();
  pending.add(socket);
  const timer = setTimeout(() => {
    socket.destroy();
    done(failure(id, Object.assign(new Error(`connect ETIMEDOUT ${host}:${port} (no answer within ${timeoutMs} ms)`), { code: 'ETIMEDOUT' })));
  }, timeoutMs);
  const done = (msg: BrokerReply, handle?: net.Socket) => {
    clearTimeout(timer);
    pending.delete(socket);
    reply(msg, handle);
  };
  socket.once('error', (err) => done(failure(id, err)));
  socket.once('connect', () => done({ id, ok: true }, socket));
  socket.connect({ host, port });
}

process.on('message', (raw: BrokerRequest) => {
  try {
    if (raw.op === 'listen') listen(raw.id, raw.host, raw.port);
    else connect(raw.id, raw.host, raw.port, raw.timeoutMs);
  } catch (err) {
    reply(failure(raw.id, err));
  }
});

process.on('disconnect', () => {
  for (const socket of pending) socket.destroy();
});

reply({ id: 0, ok: true });
