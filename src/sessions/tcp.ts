import net from 'node:net';
import readline from 'node:readline';
import { endOfError, parseEcho, type Connection, type ConnectionEvents, type Dialer, type SessionEnd } from './connection.js';

/** The line a draining server sends before it closes: the client reconnects elsewhere. */
export const TCP_RECONNECT_LINE = 'RECONNECT';
/** The first word of the server's greeting. */
export const TCP_HELLO = 'HELLO';

/**
 * Raw TCP sessions through node:net: lines `<id> <text>\n`, echoed line by line. A connection is
 * a session once the server's greeting line came (`HELLO ...`): a TCP connect alone proves
 * little behind a proxy or a load balancer that accepts before it has a backend.
 */
export const dialTcp: Dialer = (url: URL, events: ConnectionEvents, timeoutMs: number) =>
  new Promise<Connection>((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    let open = false;
    let ended = false;
    const end = (e: SessionEnd) => {
      if (ended || !open) return;
      ended = true;
      // after a notice the socket stays open for the answers in flight; the session closes it
      if (e.kind !== 'asked') socket.destroy();
      events.onEnd(e);
    };
    const connectTimer = setTimeout(() => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.setNoDelay(true);
    const lines = readline.createInterface({ input: socket, crlfDelay: Infinity });
    // readline re-emits the socket's errors: they are handled on the socket below
    lines.on('error', () => undefined);
    lines.on('line', (line) => {
      if (!open) {
        if (line !== TCP_HELLO && !line.startsWith(`${TCP_HELLO} `)) return;
        clearTimeout(connectTimer);
        open = true;
        resolve({
          send: (id, text) => { if (!socket.destroyed && socket.writable) socket.write(`${id} ${text}\n`); },
          close: () => { ended = true; socket.destroy(); },
        });
        return;
      }
      if (line === TCP_RECONNECT_LINE) {
        end({ kind: 'asked', detail: TCP_RECONNECT_LINE });
        return;
      }
      const id = parseEcho(line);
      if (id !== null) events.onEcho(id);
    });
    socket.on('error', (err) => {
      clearTimeout(connectTimer);
      if (!open) {
        reject(err);
        return;
      }
      end(endOfError(err));
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      if (!open) reject(Object.assign(new Error('closed before the greeting'), { code: 'ECONNRESET' }));
      end({ kind: 'closed', detail: 'eof' });
    });
  });
