/** Messages between crt and a namespace's broker (see broker.ts). */

export type BrokerRequest =
  | { id: number; op: 'listen'; host: string; port: number }
  | { id: number; op: 'connect'; host: string; port: number; timeoutMs: number };

/**
 * The answer to request `id`, with the server or socket as the message's handle when `ok`. Id 0 is the
 * broker saying it is ready. `stray`: a connection the server of request `id` accepted before it was
 * handed over, passed on to its new owner.
 */
export type BrokerReply =
  | { id: number; ok: true; stray?: true }
  | { id: number; ok: false; code: string; message: string };
