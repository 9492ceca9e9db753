import type { Socket } from 'node:net';

/**
 * Joins a client socket to its backend socket, both opened with `allowHalfOpen`: bytes and FINs go
 * through in each direction on their own, and either socket closes once both directions are done.
 * A reset on one side becomes a reset on the other, as an RST crosses a NAT: a client whose backend
 * crashed sees ECONNRESET, not a clean end of stream. Returns `detach`, which unjoins them: nothing
 * crosses any more, neither bytes nor FINs nor resets (the network between them is gone).
 */
export function forward(client: Socket, upstream: Socket): () => void {
  const unlink = [link(client, upstream), link(upstream, client)];
  client.pipe(upstream);
  upstream.pipe(client);
  return () => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    for (const undo of unlink) undo();
  };
}

function link(from: Socket, to: Socket): () => void {
  const onError = (): void => reset(to);
  // closed without an error (destroyed by close() or cut()): nothing is left to carry
  const onClose = (): void => {
    if (!to.destroyed) to.destroy();
  };
  from.on('error', onError);
  from.once('close', onClose);
  return () => {
    from.off('error', onError);
    from.off('close', onClose);
  };
}

/**
 * Keeps a dropped connection open without ever answering it, like a CNI dropping its packets. Its
 * bytes are read and discarded rather than left unread, so that the end of the peer's patience (a
 * FIN or a reset) is seen and the socket freed. Either end of a black-holed connection is held so.
 */
export function hold(client: Socket): void {
  client.on('error', () => client.destroy());
  client.once('end', () => client.destroy());
  client.resume();
}

/**
 * Closes `socket` with a reset (RST), as a cut connection is. Once its FIN is queued it is only
 * destroyed: Node 20's resetAndDestroy() on a socket whose shutdown is still in flight never
 * closes the handle (the socket stays open and the event loop spins), and a peer that was sent a
 * FIN already has the whole stream anyway.
 */
export function reset(socket: Socket): void {
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}
