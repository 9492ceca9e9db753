import http from 'node:http';
import net from 'node:net';
import readline from 'node:readline';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventLog } from './event-log.js';

export interface ChatOptions {
  host: string;
  /** HTTP port: WebSocket at /chat, SSE at /chat/events (0: any free port) */
  port: number;
  /** raw TCP line port (0: any free port) */
  tcpPort: number;
  /**
   * true: on termination, every client is told to reconnect (WebSocket close 1012, SSE
   * `event: reconnect`, TCP `RECONNECT`) before the pod goes. false: the misconfigured variant,
   * whose connections just die with the process.
   */
  drainNotice: boolean;
  /** how long a client told to reconnect may keep its old connection for answers in flight */
  noticeGraceMs: number;
  /** named in the TCP greeting */
  podName: string;
  log: EventLog;
}

/** The line a TCP session starts with: a connection is a session once the service greeted it. */
export const TCP_HELLO = 'HELLO';

export interface ChatService {
  /** base URL of the HTTP port */
  url: string;
  tcpPort: number;
  /** sessions open now, all protocols */
  sessions(): number;
  /** The preStop drain: tells every client to reconnect, then closes; resolves once everything is closed. */
  drain(): Promise<void>;
  /** Closes every connection at once without a word (a process that exits on SIGTERM). */
  kill(): Promise<void>;
}

/**
 * The demo's chat-like service: it echoes every message on the connection it came from, over
 * WebSocket (`ws`), SSE (the echo comes on the session's stream) and raw TCP lines (node:net).
 * Its `drain` is what a `preStop` hook buys: clients move to another pod before this one stops.
 */
export async function startChat(o: ChatOptions): Promise<ChatService> {
  let draining = false;
  const wss = new WebSocketServer({ noServer: true });
  const sse = new Map<string, http.ServerResponse>();
  const tcp = new Set<net.Socket>();
  let nextSid = 0;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://chat');
    if (url.pathname === '/drain') {
      // the preStop hook: the notice goes out now, the process exits on the SIGTERM that follows
      res.writeHead(200).end('draining');
      void drain();
    } else if (url.pathname === '/healthz') {
      res.writeHead(draining ? 503 : 200).end(draining ? 'draining' : 'ok');
    } else if (url.pathname === '/chat/events' && req.method === 'GET') {
      // unique across pods: a POST that reached another pod must not land on a stream of its own
      const sid = `${o.podName}-${nextSid++}`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(`event: session\ndata: ${sid}\n\n`);
      sse.set(sid, res);
      res.on('close', () => sse.delete(sid));
    } else if (url.pathname === '/chat/events' && req.method === 'POST') {
      const stream = sse.get(url.searchParams.get('session') ?? '');
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        if (!stream) {
          res.writeHead(404).end('no such session');
          return;
        }
        stream.write(`event: echo\ndata: ${body.replace(/[\r\n]/g, ' ')}\n\n`);
        res.writeHead(202).end();
      });
    } else {
      res.writeHead(404).end('not found');
    }
  });
  server.on('upgrade', (req, socket, head) => {
    if (draining || new URL(req.url ?? '/', 'http://chat').pathname !== '/chat') {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => ws.terminate());
    });
  });
  const tcpServer = net.createServer((socket) => {
    if (draining) {
      socket.destroy();
      return;
    }
    tcp.add(socket);
    socket.write(`${TCP_HELLO} ${o.podName}\n`);
    socket.on('close', () => tcp.delete(socket));
    socket.on('error', () => socket.destroy());
    const lines = readline.createInterface({ input: socket, crlfDelay: Infinity });
    // readline re-emits the socket's errors (a client's reset): handled on the socket above
    lines.on('error', () => undefined);
    lines.on('line', (line) => {
      if (socket.writable) socket.write(`${line}\n`);
    });
  });
  await listen(server, o.port, o.host);
  await listen(tcpServer, o.tcpPort, o.host);
  const httpPort = (server.address() as net.AddressInfo).port;
  const tcpPort = (tcpServer.address() as net.AddressInfo).port;
  o.log('chat-listening', { port: httpPort, tcpPort, drainNotice: o.drainNotice });

  const closeServers = () => Promise.all([
    new Promise<void>((r) => server.close(() => r())),
    new Promise<void>((r) => tcpServer.close(() => r())),
    new Promise<void>((r) => wss.close(() => r())),
  ]).then(() => undefined);
  const sessions = () => wss.clients.size + sse.size + tcp.size;

  const kill = (): Promise<void> => {
    draining = true;
    for (const ws of wss.clients) ws.terminate();
    for (const res of sse.values()) res.destroy();
    for (const s of tcp) s.destroy();
    server.closeAllConnections();
    return closeServers();
  };

  let draining$: Promise<void> | null = null;
  const drain = (): Promise<void> => (draining$ ??= drainOnce());
  const drainOnce = async (): Promise<void> => {
    if (!o.drainNotice) return kill();
    draining = true;
    o.log('chat-drain', { sessions: sessions() });
    for (const ws of wss.clients) ws.close(1012, 'service restart');
    for (const res of sse.values()) res.write('event: reconnect\ndata: service restart\n\n');
    for (const s of tcp) s.write('RECONNECT\n');
    // clients leave on their own; whoever is still here after the grace is cut. The HTTP server
    // stays open meanwhile: closing it would close the idle keep-alive sockets SSE clients post on.
    const deadline = Date.now() + o.noticeGraceMs;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (sessions() > 0 && Date.now() < deadline) return;
        clearInterval(check);
        resolve();
      }, 20);
    });
    await kill();
    o.log('chat-drained', { sessions: sessions() });
  };

  return { url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${httpPort}`, tcpPort, sessions, drain, kill };
}

function listen(s: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, host, () => {
      s.off('error', reject);
      resolve();
    });
  });
}
