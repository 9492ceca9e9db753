/** What a loopback target child (bench/lib/target-server.ts) serves, passed as its first argument. */
export interface TargetOptions {
  /** ok: answers at once; delay: after `delayMs`; stall: after `delayMs`, held during periodic stalls */
  kind: 'ok' | 'delay' | 'stall';
  delayMs: number;
  /** stall server: the first stall starts this long after a reset, then one every `stallEveryMs` */
  firstStallMs: number;
  stallEveryMs: number;
  stallMs: number;
}

/** Percentiles (nearest rank) of the hold times the server measured itself, in ms. */
export interface HoldSummary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

/** What the server knows since its last reset; instants on the server's clock (epoch ms). */
export interface ServerTruth {
  holds: HoldSummary | null;
  /** [start, end) of every stall that ended */
  stalls: Array<[number, number]>;
}

export type TargetRequest =
  | { id: number; cmd: 'ping' }
  | { id: number; cmd: 'reset' }
  /** hold times of answers sent at or after `sinceMs` (server clock), all when absent */
  | { id: number; cmd: 'truth'; sinceMs?: number };

export type TargetMessage =
  | { type: 'listening'; port: number }
  | { type: 'reply'; id: number; nowMs: number; truth?: ServerTruth };
