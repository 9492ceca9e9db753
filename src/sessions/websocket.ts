import WebSocket from 'ws';
import { endOfError, parseEcho, type Connection, type ConnectionEvents, type Dialer, type SessionEnd } from './connection.js';

/** Close codes after which the client reconnects on purpose: 1012 service restart, 1001 going away. */
const RECONNECT_CODES = new Set([1001, 1012]);

function endOfClose(code: number): SessionEnd {
  if (RECONNECT_CODES.has(code)) return { kind: 'asked', detail: `close ${code}` };
  // 1006: no close frame, the TCP connection just went away
  if (code === 1006) return { kind: 'reset', detail: 'close 1006' };
  return { kind: 'closed', detail: `close ${code}` };
}

/** WebSocket sessions through `ws`: text frames `<id> <text>`, echoed by the server. */
export const dialWebSocket: Dialer = (url: URL, events: ConnectionEvents, timeoutMs: number) =>
  new Promise<Connection>((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    let open = false;
    let ended = false;
    const end = (e: SessionEnd) => {
      if (ended || !open) return;
      ended = true;
      events.onEnd(e);
    };
    ws.on('open', () => {
      open = true;
      resolve({
        send: (id, text) => { if (ws.readyState === WebSocket.OPEN) ws.send(`${id} ${text}`); },
        close: () => { ended = true; ws.terminate(); },
      });
    });
    ws.on('message', (data: WebSocket.RawData) => {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      const id = parseEcho(text);
      if (id !== null) events.onEcho(id);
    });
    ws.on('close', (code) => end(endOfClose(code)));
    ws.on('error', (err) => {
      if (!open) {
        reject(err);
        return;
      }
      end(endOfError(err));
    });
  });
