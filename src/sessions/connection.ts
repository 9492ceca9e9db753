/**
 * How a session ended, from the client's side:
 * - `asked`: the server said to reconnect first (WebSocket close 1012, SSE `event: reconnect`,
 *   TCP `RECONNECT` line): a graceful handover, not a drop;
 * - `closed`: the server closed without notice (WebSocket close code other than 1000/1012,
 *   TCP end of stream, SSE stream ended);
 * - `reset`: the connection failed (ECONNRESET, EPIPE, a WebSocket 1006);
 * - `timeout`: no echo within the load's timeout: the session is given up.
 */
export type EndClass = 'asked' | 'closed' | 'reset' | 'timeout';
export const DROP_CLASSES = ['closed', 'reset', 'timeout'] as const;
export type DropClass = (typeof DROP_CLASSES)[number];

export interface SessionEnd {
  kind: EndClass;
  /** close code, error code or `eof`: kept for the detail of the drop */
  detail: string;
}

/** What a protocol client tells the session that owns it. Called at most once for `onEnd`. */
export interface ConnectionEvents {
  onEcho(id: number): void;
  onEnd(end: SessionEnd): void;
}

/** One open session of one protocol. */
export interface Connection {
  /** Writes message `id`; its echo arrives through `onEcho(id)`. */
  send(id: number, text: string): void;
  /** Closes the connection without reporting an end. Idempotent. */
  close(): void;
}

/**
 * Opens a session to `url`. Resolves once the session can carry messages (the WebSocket is open,
 * the TCP socket connected, the SSE stream sent its `session` event); rejects with the error of a
 * failed attempt (refused, reset, timeout after `timeoutMs`).
 */
export type Dialer = (url: URL, events: ConnectionEvents, timeoutMs: number) => Promise<Connection>;

/** Error code of a Node error (ECONNREFUSED, ECONNRESET...), or its message. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.message : String(err);
}

/** Session ends by error code: a reset is one; anything else the server did is a close. */
export function endOfError(err: unknown): SessionEnd {
  const code = errorCode(err);
  return { kind: code === 'ETIMEDOUT' ? 'timeout' : code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' ? 'reset' : 'closed', detail: code };
}

/** Message framing shared by the three protocols and the demo's echo service: `<id> <text>`. */
export function parseEcho(line: string): number | null {
  const space = line.indexOf(' ');
  const id = Number(space < 0 ? line : line.slice(0, space));
  return Number.isSafeInteger(id) && id >= 0 ? id : null;
}
