import http from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { endOfError, parseEcho, type Connection, type ConnectionEvents, type Dialer, type SessionEnd } from './connection.js';

/** SSE event names of the session protocol (the demo's chat service speaks them). */
export const SSE_EVENTS = { session: 'session', echo: 'echo', reconnect: 'reconnect' } as const;

/**
 * SSE sessions: a `GET` stream that first names the session (`event: session`, `data: <sid>`),
 * then carries the echoes (`event: echo`, `data: <id> <text>`); messages go up as
 * `POST <url>?session=<sid>`. SSE is one-way, so the echo arrives on the stream.
 *
 * Parsing is eventsource-parser's (a small, well-kept, spec-following parser); the `EventSource`
 * client classes reconnect on their own with their own delay, which would hide the drops and
 * reconnect times this engine measures, so the stream is read through node:http.
 */
export const dialSse: Dialer = (url: URL, events: ConnectionEvents, timeoutMs: number) =>
  new Promise<Connection>((resolve, reject) => new SseSession(url, events).connect(timeoutMs, resolve, reject));

/** One SSE session: its stream, its POST agent, and whether it opened or ended. */
class SseSession {
  // one agent per session: the POSTs keep one connection, and close with the session
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private open = false;
  private ended = false;
  private sid = '';
  private req: http.ClientRequest | null = null;
  private readonly connection: Connection = { send: (id, text) => this.send(id, text), close: () => this.close() };

  constructor(
    private readonly url: URL,
    private readonly events: ConnectionEvents,
  ) {}

  connect(timeoutMs: number, resolve: (c: Connection) => void, reject: (err: Error) => void): void {
    const req = http.get(this.url, { headers: { accept: 'text/event-stream' }, timeout: timeoutMs });
    this.req = req;
    const parser = createParser({ onEvent: (ev) => this.onEvent(ev, resolve) });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        req.destroy(Object.assign(new Error(`HTTP ${res.statusCode ?? 0}`), { code: `HTTP ${res.statusCode ?? 0}` }));
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.feed(chunk));
      res.on('end', () => this.end({ kind: 'closed', detail: 'eof' }));
      res.on('error', (err) => this.end(endOfError(err)));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => {
      if (!this.open) {
        this.agent.destroy();
        reject(err);
        return;
      }
      this.end(endOfError(err));
    });
  }

  private onEvent(ev: EventSourceMessage, resolve: (c: Connection) => void): void {
    if (ev.event === SSE_EVENTS.session && !this.open) {
      this.sid = ev.data;
      this.open = true;
      this.req?.setTimeout(0);
      resolve(this.connection);
    } else if (ev.event === SSE_EVENTS.reconnect) {
      this.end({ kind: 'asked', detail: 'event: reconnect' });
    } else if (ev.event === SSE_EVENTS.echo || ev.event === undefined) {
      const id = parseEcho(ev.data);
      if (id !== null) this.events.onEcho(id);
    }
  }

  private send(id: number, text: string): void {
    if (!this.req || this.req.destroyed) return;
    const post = http.request(this.url, { method: 'POST', agent: this.agent, path: `${this.url.pathname}?session=${encodeURIComponent(this.sid)}`, headers: { 'content-type': 'text/plain' } });
    // a lost POST shows as a message without echo: the session's timeout counts it
    post.on('error', () => undefined);
    post.on('response', (res) => res.resume());
    post.end(`${id} ${text}`);
  }

  private end(e: SessionEnd): void {
    if (this.ended || !this.open) return;
    this.ended = true;
    if (e.kind !== 'asked') this.close();
    this.events.onEnd(e);
  }

  private close(): void {
    this.ended = true;
    this.req?.destroy();
    this.agent.destroy();
  }
}
