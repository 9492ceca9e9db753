import http from 'node:http';
import net from 'node:net';
import readline from 'node:readline';
import type stream from 'node:stream';
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
  const chat = new Chat(o);
  await listen(chat.server, o.port, o.host);
  await listen(chat.tcpServer, o.tcpPort, o.host);
  const httpPort = (chat.server.address() as net.AddressInfo).port;
  const tcpPort = (chat.tcpServer.address() as net.AddressInfo).port;
  o.log('chat-listening', { port: httpPort, tcpPort, drainNotice: o.drainNotice });
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${httpPort}`, tcpPort,
    sessions: () => chat.sessions(), drain: () => chat.drain(), kill: () => chat.kill(),
  };
}

/** The chat's servers and sessions of every protocol. */
class Chat {
  readonly server: http.Server;
  readonly tcpServer: net.Server;
  private draining = false;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sse = new Map<string, http.ServerResponse>();
  private readonly tcp = new Set<net.Socket>();
  private nextSid = 0;
  private drained: Promise<void> | null = null;

  constructor(private readonly o: ChatOptions) {
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: stream.Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.tcpServer = net.createServer((socket) => this.onTcp(socket));
  }

  sessions(): number {
    return this.wss.clients.size + this.sse.size + this.tcp.size;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://chat');
    if (url.pathname === '/drain') {
      // the preStop hook: the notice goes out now, the process exits on the SIGTERM that follows
      res.writeHead(200).end('draining');
      void this.drain();
    } else if (url.pathname === '/healthz') {
      res.writeHead(this.draining ? 503 : 200).end(this.draining ? 'draining' : 'ok');
    } else if (url.pathname === '/chat/events' && req.method === 'GET') {
      // unique across pods: a POST that reached another pod must not land on a stream of its own
      const sid = `${this.o.podName}-${this.nextSid++}`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(`event: session\ndata: ${sid}\n\n`);
      this.sse.set(sid, res);
      res.on('close', () => this.sse.delete(sid));
    } else if (url.pathname === '/chat/events' && req.method === 'POST') {
      this.onSsePost(req, res, this.sse.get(url.searchParams.get('session') ?? ''));
    } else {
      res.writeHead(404).end('not found');
    }
  }

  /** A message up an SSE session: its echo goes down the session's stream. */
  private onSsePost(req: http.IncomingMessage, res: http.ServerResponse, stream: http.ServerResponse | undefined): void {
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
  }

  private onUpgrade(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer): void {
    if (this.draining || new URL(req.url ?? '/', 'http://chat').pathname !== '/chat') {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => ws.terminate());
    });
  }

  private onTcp(socket: net.Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    this.tcp.add(socket);
    socket.write(`${TCP_HELLO} ${this.o.podName}\n`);
    socket.on('close', () => this.tcp.delete(socket));
    socket.on('error', () => socket.destroy());
    const lines = readline.createInterface({ input: socket, crlfDelay: Infinity });
    // readline re-emits the socket's errors (a client's reset): handled on the socket above
    lines.on('error', () => undefined);
    lines.on('line', (line) => {
      if (socket.writable) socket.write(`${line}\n`);
    });
  }

  kill(): Promise<void> {
    this.draining = true;
    for (const ws of this.wss.clients) ws.terminate();
    for (const res of this.sse.values()) res.destroy();
    for (const s of this.tcp) s.destroy();
    this.server.closeAllConnections();
    return Promise.all([
      new Promise<void>((r) => this.server.close(() => r())),
      new Promise<void>((r) => this.tcpServer.close(() => r())),
      new Promise<void>((r) => this.wss.close(() => r())),
    ]).then(() => undefined);
  }

  drain(): Promise<void> {
    return (this.drained ??= this.drainOnce());
  }

  private async drainOnce(): Promise<void> {
    if (!this.o.drainNotice) return this.kill();
    this.draining = true;
    this.o.log('chat-drain', { sessions: this.sessions() });
    for (const ws of this.wss.clients) ws.close(1012, 'service restart');
    for (const res of this.sse.values()) res.write('event: reconnect\ndata: service restart\n\n');
    for (const s of this.tcp) s.write('RECONNECT\n');
    // clients leave on their own; whoever is still here after the grace is cut. The HTTP server
    // stays open meanwhile: closing it would close the idle keep-alive sockets SSE clients post on.
    const deadline = Date.now() + this.o.noticeGraceMs;
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (this.sessions() > 0 && Date.now() < deadline) return;
        clearInterval(check);
        resolve();
      }, 20);
    });
    await this.kill();
    this.o.log('chat-drained', { sessions: this.sessions() });
  }
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
