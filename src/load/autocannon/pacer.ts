import type { EventEmitter } from 'node:events';
import type { Clock } from '../../core/index.js';
import type { StatusRange } from '../../plan/index.js';
import { SERVED_BY_NONE, type FailureClass } from '../../results/index.js';
import type { Recorder } from '../recorder.js';

/**
 * The part of autocannon's per-connection `Client` (lib/httpClient.js, autocannon 9) that crt
 * drives. autocannon has no public hook to delay a connection's next request: its own rate
 * limiter sends each second's quota as a burst and, with a rate, "corrects" coordinated
 * omission with an expected interval of ceil(1/rate) = 1 ms, which fills the histogram with
 * invented fast values (p50 26 ms against a server that always takes 50 ms). So crt never
 * gives autocannon a rate: `setupClient` hands each Client to a Pacer, which wraps
 * `_doRequest` and `_connect` to release every request at its intended time, and records
 * outcomes itself. autocannon still builds requests, parses responses and owns the sockets.
 * `test/unit/load/autocannon-contract.test.ts` fails if autocannon changes this surface.
 */
export interface AutocannonClient extends EventEmitter {
  _connect(): void;
  _doRequest(): void;
  _destroyConnection(): void;
  conn?: unknown;
  destroyed: boolean;
}

interface ClientState {
  client: AutocannonClient;
  doRequest: () => void;
  connect: () => void;
  initialized: boolean;
  connected: boolean;
  keepAlive: boolean;
  /** replace the connection at the next request (forceReconnect of a network cut) */
  reconnect: boolean;
  /** true while crt itself calls autocannon's original methods */
  passThrough: boolean;
  waiting: boolean;
  timer: NodeJS.Timeout | null;
  /** a request is in flight; its instants are the two fields below (numbers on the state, no object per request) */
  inflight: boolean;
  intendedMs: number;
  sentMs: number;
  /** closed model: no send before this instant (back-off after a connection failure) */
  notBeforeMs: number;
  lastServiceMs: number | null;
  /** servedBy: the header value of the response being read, taken by its 'response' event */
  servedBy: string;
}

export interface PacerOptions {
  stage: number;
  /** open model when set: requests per second for this generator */
  rateRps: number | null;
  maxRequests: number | null;
  timeoutMs: number;
  okStatus: readonly StatusRange[];
  /** response header (lower case) to count answers by; null: headers are not looked at */
  servedBy: string | null;
  clock: Clock;
  recorder: Recorder;
  /** called once when every request of the stage has been sent (its count or its end reached) */
  onExhausted?: () => void;
  /** a connection could not be opened for want of file descriptors on this side: the generator's failure, not the service's */
  onFdExhausted?: (code: 'EMFILE' | 'ENFILE') => void;
}

const CLASS_BY_CODE: Record<string, FailureClass> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ETIMEDOUT: 'timeout',
};

/**
 * Releases the requests of one stage of one generator at their intended send times and
 * records each one's outcome, so that failures are counted per intended request (a refused
 * port at 10 req/s for 2 s is 20 failures, not a reconnect storm) and latency includes any
 * time a request waited for the server (no coordinated omission).
 */
export class Pacer {
  private readonly states: ClientState[] = [];
  private issued = 0;
  private inflightCount = 0;
  /** slots handed to clients whose send time has not come yet */
  private pendingTimers = 0;
  private noMoreSlots = false;
  private stopped = false;
  private drained: (() => void) | null = null;
  private readonly sweeper: NodeJS.Timeout;
  private readonly intervalMs: number;
  /** built once: this runs for every response */
  private readonly isOk: (status: number) => boolean;
  /** set by begin(): the schedule starts once autocannon has built every client */
  private startMs: number | null = null;
  /** no request is intended at or after it */
  private endMs: number | null = null;
  /** crt's own 'response' listeners: autocannon's are removed at begin() */
  private readonly own = new Set<unknown>();
  /** clients ready before begin() */
  private readonly parked: ClientState[] = [];

  constructor(private readonly o: PacerOptions) {
    this.intervalMs = o.rateRps ? 1000 / o.rateRps : 0;
    const ranges = o.okStatus.map(([lo, hi]) => [lo, hi] as const);
    this.isOk = (status) => {
      for (const [lo, hi] of ranges) if (status >= lo && status <= hi) return true;
      return false;
    };
    const sweepMs = Math.min(100, Math.max(5, o.timeoutMs / 20));
    this.sweeper = setInterval(() => this.sweepTimeouts(), sweepMs);
  }

  /** `setupClient` of autocannon: called in the Client constructor, before it connects. */
  attach(client: AutocannonClient): void {
    const st: ClientState = {
      client,
      doRequest: client._doRequest.bind(client),
      connect: client._connect.bind(client),
      initialized: false, connected: false, keepAlive: true, reconnect: false, passThrough: false,
      waiting: false, timer: null, inflight: false, intendedMs: 0, sentMs: 0, notBeforeMs: 0, lastServiceMs: null, servedBy: SERVED_BY_NONE,
    };
    this.states.push(st);
    client._doRequest = () => (st.passThrough ? st.doRequest() : this.ready(st));
    client._connect = () => {
      if (!st.initialized) {
        st.initialized = st.connected = true;
        st.connect();
        return;
      }
      // autocannon reconnects at once after an error, an end or a timeout; crt reconnects
      // when the next request is due instead, so a dead port costs one failure per request.
      st.connected = false;
      this.ready(st);
    };
    if (this.o.servedBy) this.countServedBy(st, this.o.servedBy);
    else {
      client.on('headers', (info: { shouldKeepAlive?: boolean }) => {
        st.keepAlive = info.shouldKeepAlive !== false;
      });
      const onResponse = (status: number, bytes: number) => void this.answered(st, status, bytes);
      this.own.add(onResponse);
      client.on('response', onResponse);
    }
    client.on('connError', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EMFILE' || err.code === 'ENFILE') this.o.onFdExhausted?.(err.code);
      this.failed(st, CLASS_BY_CODE[err.code ?? ''] ?? 'other');
    });
  }

  /**
   * The listeners of a load with servedBy, kept apart so that a load without it does not look at
   * headers at all. autocannon's 'headers' event carries http-parser-js's raw header list
   * (`[name, value, name, value, …]`, names as sent) just before the response's 'response' event.
   */
  private countServedBy(st: ClientState, header: string): void {
    st.client.on('headers', (info: { shouldKeepAlive?: boolean; headers?: string[] }) => {
      st.keepAlive = info.shouldKeepAlive !== false;
      st.servedBy = headerValue(info.headers, header);
    });
    const onResponse = (status: number, bytes: number) => {
      const value = st.servedBy;
      st.servedBy = SERVED_BY_NONE;
      const at = this.answered(st, status, bytes);
      if (at !== null) this.o.recorder.served(this.o.stage, at, value);
    };
    this.own.add(onResponse);
    st.client.on('response', onResponse);
  }

  /**
   * Starts the schedule. autocannon builds its clients synchronously (tens of ms for hundreds
   * of connections); starting the schedule after that keeps the generator's own start-up out
   * of the measured latency.
   */
  begin(startMs: number, endMs: number | null): void {
    // autocannon's run() counts and records every response in its own histograms too; crt reads
    // none of them (its Recorder has the figures), so those listeners are per-request cost only
    for (const st of this.states) for (const l of st.client.listeners('response')) if (!this.own.has(l)) st.client.off('response', l as () => void);
    this.startMs = startMs;
    this.endMs = endMs;
    for (const st of this.parked.splice(0)) this.schedule(st);
  }

  /** No more releases; resolves when every request in flight has completed or timed out. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const st of this.states) this.clearTimer(st);
    if (this.inflightCount === 0) return this.close();
    return new Promise<void>((resolve) => {
      this.drained = resolve;
    }).then(() => this.close());
  }

  /** Stops at once: requests in flight are abandoned and not counted. */
  abort(): void {
    this.stopped = true;
    for (const st of this.states) {
      this.clearTimer(st);
      st.inflight = false;
    }
    this.inflightCount = 0;
    void this.close();
  }

  private close(): Promise<void> {
    clearInterval(this.sweeper);
    return Promise.resolve();
  }

  /** The client can send: it answered, lost its connection, or just connected. */
  private ready(st: ClientState): void {
    if (st.waiting || st.client.destroyed) return;
    st.waiting = true;
    if (this.startMs === null) {
      this.parked.push(st);
      return;
    }
    if (st.inflight) {
      // The connection went away under a request. On a timeout autocannon emits 'timeout'
      // right after calling _connect; otherwise the server closed it: count a reset.
      process.nextTick(() => {
        if (st.inflight) this.failed(st, 'reset');
        this.schedule(st);
      });
      return;
    }
    this.schedule(st);
  }

  private schedule(st: ClientState): void {
    const now = this.o.clock.now();
    const { maxRequests } = this.o;
    if (this.stopped) return this.idle(st);
    const intended = this.intervalMs > 0 ? (this.startMs as number) + this.issued * this.intervalMs : Math.max(now, st.notBeforeMs);
    if ((maxRequests !== null && this.issued >= maxRequests) || (this.endMs !== null && intended >= this.endMs)) {
      this.exhausted();
      return this.idle(st);
    }
    this.issued++;
    const delay = intended - now;
    if (delay <= 0) this.release(st, intended, now);
    else {
      this.pendingTimers++;
      st.timer = setTimeout(() => {
        this.pendingTimers--;
        this.release(st, intended);
        this.checkAllReleased();
      }, delay);
    }
  }

  /** `nowMs`: the instant the caller just read, when it sends at once (one clock read per request less) */
  private release(st: ClientState, intendedMs: number, nowMs?: number): void {
    st.timer = null;
    st.waiting = false;
    if (this.stopped || st.client.destroyed) return;
    const now = nowMs ?? this.o.clock.now();
    st.passThrough = true;
    try {
      if (!st.connected || !st.keepAlive || st.reconnect) {
        st.reconnect = false;
        if (st.client.conn) st.client._destroyConnection();
        st.connected = st.keepAlive = true;
        st.connect();
      } else {
        st.doRequest();
      }
    } finally {
      st.passThrough = false;
    }
    // A timer may fire a fraction of a millisecond early (libuv keeps whole-ms loop time):
    // such a request is timed from its actual send, so latency is never below service time.
    st.inflight = true;
    st.intendedMs = intendedMs < now ? intendedMs : now;
    st.sentMs = now;
    this.inflightCount++;
    this.o.recorder.sent(this.o.stage, now, Math.max(0, now - intendedMs));
  }

  /** Records the answer to the request in flight; returns its completion instant, or null when none was in flight. */
  private answered(st: ClientState, status: number, bytes: number): number | null {
    if (!st.inflight) return null;
    st.inflight = false;
    this.inflightCount--;
    const now = this.o.clock.now();
    this.o.recorder.response(this.o.stage, now, st.intendedMs, st.sentMs, status, this.isOk(status), bytes);
    st.lastServiceMs = now - st.sentMs;
    if (this.stopped && this.inflightCount === 0) this.drained?.();
    return now;
  }

  /** Records the failure of the request in flight, if any. */
  private failed(st: ClientState, kind: FailureClass): void {
    if (!st.inflight) return;
    st.inflight = false;
    this.inflightCount--;
    const now = this.o.clock.now();
    this.o.recorder.failure(this.o.stage, now, st.intendedMs, st.sentMs, kind);
    if (kind !== 'timeout' && this.intervalMs === 0) {
      // Closed model: after a connection failure a client waits about as long as its last
      // answer took, so an outage costs the requests it would have sent, not a retry storm.
      st.notBeforeMs = now + Math.min(1000, Math.max(1, st.lastServiceMs ?? 100));
    }
    if (this.stopped && this.inflightCount === 0) this.drained?.();
  }

  /** Each client opens a new connection for its next request (the one in flight, if any, finishes on the old). */
  reconnect(): void {
    for (const st of this.states) st.reconnect = true;
  }

  private sweepTimeouts(): void {
    const now = this.o.clock.now();
    for (const st of this.states) {
      if (!st.inflight || now - st.sentMs < this.o.timeoutMs) continue;
      this.failed(st, 'timeout');
      if (st.client.conn) st.client._destroyConnection();
      st.connected = false;
      if (!this.stopped) this.ready(st);
    }
  }

  private exhausted(): void {
    this.noMoreSlots = true;
    this.checkAllReleased();
  }

  /** Every slot of the stage has been handed out and sent: the stage may end early (request count). */
  private checkAllReleased(): void {
    if (!this.noMoreSlots || this.pendingTimers > 0) return;
    const cb = this.o.onExhausted;
    this.o.onExhausted = undefined;
    cb?.();
  }

  private idle(st: ClientState): void {
    st.waiting = false;
    if (this.stopped && this.inflightCount === 0) this.drained?.();
  }

  private clearTimer(st: ClientState): void {
    if (st.timer) {
      clearTimeout(st.timer);
      this.pendingTimers--;
    }
    st.timer = null;
    st.waiting = false;
  }
}

/** The first value of `name` (lower case) in a raw header list; `(none)` when absent or empty. */
export function headerValue(raw: readonly string[] | undefined, name: string): string {
  if (!raw) return SERVED_BY_NONE;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i] as string;
    if (key.length === name.length && key.toLowerCase() === name) return (raw[i + 1] as string).trim() || SERVED_BY_NONE;
  }
  return SERVED_BY_NONE;
}
