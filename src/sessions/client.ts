import type { Connection, Dialer, DropClass, SessionEnd } from './connection.js';
import type { SessionRecorder } from './recorder.js';

export interface ClientSettings {
  url: URL;
  dial: Dialer;
  /** first send at `startMs`, then one message every `intervalMs` */
  intervalMs: number;
  /** an echo later than this after its intended send time is a lost message, and the session is given up */
  timeoutMs: number;
  text: string;
  backoff: { initialMs: number; maxMs: number; factor: number };
  now: () => number;
}

interface Pending {
  intendedMs: number;
  sentMs: number;
  conn: Connection | null;
}

/**
 * One long-lived session, replaced whenever it ends. Messages follow a fixed schedule from
 * `startMs`: a message due while no session is open waits for the next one, and its round-trip
 * is measured from when it was due, so a reconnect gap shows in the RTT (no coordinated omission).
 */
export class SessionClient {
  private conn: Connection | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly backlog: Array<{ id: number; intendedMs: number }> = [];
  private nextId = 0;
  private nextDueMs: number;
  private stopped = false;
  /** when the session in use ended; null while one is open or before the first */
  private endedAtMs: number | null = null;
  private attemptDelayMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private connecting = false;

  constructor(
    private readonly s: ClientSettings,
    private readonly rec: SessionRecorder,
    private readonly startMs: number,
  ) {
    this.nextDueMs = startMs + s.intervalMs;
  }

  get alive(): boolean {
    return this.conn !== null;
  }

  start(): void {
    this.connect();
    this.tick();
  }

  /** Stops sending, closes the session; messages still unanswered are neither lost nor answered. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.conn?.close();
    for (const p of this.pending.values()) p.conn?.close();
    this.conn = null;
  }

  private connect(): void {
    if (this.stopped || this.connecting || this.conn) return;
    this.connecting = true;
    let conn: Connection | null = null;
    this.s.dial(this.s.url, { onEcho: (id) => this.echo(id), onEnd: (e) => { if (conn) this.ended(conn, e); } }, this.s.timeoutMs).then(
      (c) => {
        this.connecting = false;
        if (this.stopped) {
          c.close();
          return;
        }
        conn = c;
        this.conn = c;
        this.attemptDelayMs = 0;
        const now = this.s.now();
        this.rec.opened(now, this.endedAtMs === null ? null : now - this.endedAtMs);
        this.endedAtMs = null;
        for (const m of this.backlog.splice(0)) this.write(m.id, m.intendedMs, now);
      },
      () => {
        this.connecting = false;
        if (this.stopped) return;
        this.rec.failedAttempt(this.s.now());
        const b = this.s.backoff;
        this.attemptDelayMs = Math.min(b.maxMs, this.attemptDelayMs === 0 ? b.initialMs : this.attemptDelayMs * b.factor);
        setTimeout(() => this.connect(), this.attemptDelayMs).unref();
      },
    );
  }

  private ended(conn: Connection, e: SessionEnd): void {
    if (this.stopped) return;
    const now = this.s.now();
    const current = this.conn === conn;
    if (current) {
      this.conn = null;
      this.endedAtMs = now;
      this.rec.ended(now, e.kind);
    }
    if (e.kind === 'asked') {
      // what the old session left unanswered goes again on the next one, as a chat client
      // resends unacknowledged messages after a handover; a late echo of the old one still counts
      const moved = [...this.pending].filter(([, p]) => p.conn === conn).map(([id, p]) => ({ id, intendedMs: p.intendedMs }));
      for (const m of moved) this.pending.delete(m.id);
      this.backlog.unshift(...moved);
      setTimeout(() => conn.close(), this.s.timeoutMs).unref();
      if (current) this.connect();
      return;
    }
    this.loseWith(conn, now, e.kind === 'timeout' ? 'timeout' : 'reset');
    if (current) setTimeout(() => this.connect(), this.s.backoff.initialMs).unref();
  }

  /** Messages written on a connection that is gone will never be answered. */
  private loseWith(conn: Connection, now: number, cls: 'timeout' | 'reset'): void {
    for (const [id, p] of this.pending) {
      if (p.conn !== conn) continue;
      this.pending.delete(id);
      this.rec.lost(now, p.intendedMs, cls);
    }
  }

  private echo(id: number): void {
    const p = this.pending.get(id);
    if (!p) {
      this.echoBacklogged(id);
      return;
    }
    this.pending.delete(id);
    this.rec.answered(this.s.now(), p.intendedMs, p.sentMs, this.s.text.length);
  }

  /** An old session answered a message waiting to be sent again: it is answered. */
  private echoBacklogged(id: number): void {
    const i = this.backlog.findIndex((m) => m.id === id);
    if (i < 0) return;
    const now = this.s.now();
    for (const m of this.backlog.splice(i, 1)) this.rec.answered(now, m.intendedMs, now, this.s.text.length);
  }

  private write(id: number, intendedMs: number, now: number): void {
    const conn = this.conn as Connection;
    this.pending.set(id, { intendedMs, sentMs: now, conn });
    this.rec.sent(now, now - intendedMs);
    conn.send(id, this.s.text);
  }

  /** Sends what is due, then gives up on messages past the timeout; runs until stop(). */
  private tick(): void {
    if (this.stopped) return;
    const now = this.s.now();
    while (this.nextDueMs <= now) {
      const id = this.nextId++;
      if (this.conn) this.write(id, this.nextDueMs, now);
      else this.backlog.push({ id, intendedMs: this.nextDueMs });
      this.nextDueMs += this.s.intervalMs;
    }
    this.expire(now);
    this.timer = setTimeout(() => this.tick(), Math.max(1, Math.min(this.nextDueMs - now, 100)));
  }

  private expire(now: number): void {
    const limit = now - this.s.timeoutMs;
    while (this.backlog.length > 0 && (this.backlog[0] as { intendedMs: number }).intendedMs < limit) {
      const m = this.backlog.shift() as { intendedMs: number };
      this.rec.lost(now, m.intendedMs, 'timeout');
    }
    let stale: Connection | null = null;
    for (const [id, p] of this.pending) {
      if (p.intendedMs >= limit) continue;
      this.pending.delete(id);
      this.rec.lost(now, p.intendedMs, 'timeout');
      if (p.conn === this.conn) stale = p.conn;
    }
    // the session in use left a message unanswered past the timeout: it is dead, replace it
    if (stale) {
      stale.close();
      this.ended(stale, { kind: 'timeout', detail: 'no echo' });
    }
  }
}

export type { DropClass };
