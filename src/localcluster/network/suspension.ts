import type { Socket } from 'node:net';
import { forward, reset } from './splice.js';

/** Bytes kept per direction while the network is down; past that the sender is no longer read (TCP's window fills). */
const QUEUE_LIMIT_BYTES = 256 * 1024;

interface End {
  readonly socket: Socket;
  readonly chunks: Buffer[];
  bytes: number;
  /** its FIN came: delivered to the other end once the network is back */
  ended: boolean;
  /** it closed or was reset: its peer hears of it once the network is back */
  gone: boolean;
}

/**
 * A forwarded connection whose packets the network drops for now (a lost link, a powered-off node, a
 * CNI dropping a flow a policy denies): neither end hears from the other, no byte, no FIN, no reset.
 * What each end sends is kept, as TCP keeps it for retransmission, and delivered if the network comes
 * back (`resume`): a connection that was idle through a short partition then works again, as on a
 * real network. An end that gave up meanwhile has its FIN or reset delivered then. Once both ends
 * are gone nothing can cross any more, and both sockets are freed.
 */
export class Suspension {
  readonly #ends: [End, End];
  readonly #unwatch: Array<() => void> = [];

  constructor(client: Socket, upstream: Socket) {
    this.#ends = [this.#watch(client), this.#watch(upstream)];
  }

  /** Whether both ends have given up: the connection is over. */
  get dead(): boolean {
    return this.#ends.every((e) => e.ended || e.gone);
  }

  /**
   * The network is back: each end gets what the other sent meanwhile, then forwarding resumes; returns
   * the new `detach` (splice.forward's). When an end closed or was reset meanwhile, its peer is reset
   * (or ended, after what was kept) instead, and null is returned.
   */
  resume(): (() => void) | null {
    for (const undo of this.#unwatch.splice(0)) undo();
    const [client, upstream] = this.#ends;
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      if (!to.gone && !to.socket.destroyed) for (const chunk of from.chunks) to.socket.write(chunk);
    }
    if (client.gone || upstream.gone) {
      for (const end of this.#ends) {
        end.socket.on('error', () => undefined);
        if (!end.socket.destroyed) reset(end.socket);
      }
      return null;
    }
    // an end whose FIN came meanwhile is ended by pipe() itself (its 'end' was emitted)
    return forward(client.socket, upstream.socket);
  }

  #watch(socket: Socket): End {
    const end: End = { socket, chunks: [], bytes: 0, ended: false, gone: false };
    const onData = (chunk: Buffer): void => {
      end.chunks.push(chunk);
      end.bytes += chunk.length;
      if (end.bytes > QUEUE_LIMIT_BYTES) socket.pause();
    };
    const onEnd = (): void => {
      end.ended = true;
      this.#freeIfDead();
    };
    const onGone = (): void => {
      end.gone = true;
      this.#freeIfDead();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.on('error', onGone);
    socket.once('close', onGone);
    this.#unwatch.push(() => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onGone);
      socket.off('close', onGone);
    });
    socket.resume();
    return end;
  }

  #freeIfDead(): void {
    if (!this.dead) return;
    for (const undo of this.#unwatch.splice(0)) undo();
    for (const end of this.#ends) {
      end.socket.on('error', () => undefined);
      end.socket.destroy();
    }
  }
}
