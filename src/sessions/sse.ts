import http from 'node:http';
import { createParser } from 'eventsource-parser';
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
  new Promise<Connection>((resolve, reject) => {
    // one agent per session: the POSTs keep one connection, and close with the session
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let open = false;
    let ended = false;
    let sid = '';
    const end = (e: SessionEnd) => {
      if (ended || !open) return;
      ended = true;
      if (e.kind !== 'asked') close();
      events.onEnd(e);
    };
    const req = http.get(url, { headers: { accept: 'text/event-stream' }, timeout: timeoutMs });
    const close = () => {
      ended = true;
      req.destroy();
      agent.destroy();
    };
    const connection: Connection = {
      send: (id, text) => {
        if (req.destroyed) return;
        const post = http.request(url, { method: 'POST', agent, path: `${url.pathname}?session=${encodeURIComponent(sid)}`, headers: { 'content-type': 'text/plain' } });
        // a lost POST shows as a message without echo: the session's timeout counts it
        post.on('error', () => undefined);
        post.on('response', (res) => res.resume());
        post.end(`${id} ${text}`);
      },
      close,
    };
    const parser = createParser({
      onEvent: (ev) => {
        if (ev.event === SSE_EVENTS.session && !open) {
          sid = ev.data;
          open = true;
          req.setTimeout(0);
          resolve(connection);
        } else if (ev.event === SSE_EVENTS.reconnect) {
          end({ kind: 'asked', detail: 'event: reconnect' });
        } else if (ev.event === SSE_EVENTS.echo || ev.event === undefined) {
          const id = parseEcho(ev.data);
          if (id !== null) events.onEcho(id);
        }
      },
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        req.destroy(Object.assign(new Error(`HTTP ${res.statusCode ?? 0}`), { code: `HTTP ${res.statusCode ?? 0}` }));
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.feed(chunk));
      res.on('end', () => end({ kind: 'closed', detail: 'eof' }));
      res.on('error', (err) => end(endOfError(err)));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => {
      if (!open) {
        agent.destroy();
        reject(err);
        return;
      }
      end(endOfError(err));
    });
  });
