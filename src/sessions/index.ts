export { SessionEngine, sessionProtocols, sessionUrl } from './engine.js';
export { SessionClient, type ClientSettings } from './client.js';
export { SessionRecorder } from './recorder.js';
export { dialWebSocket } from './websocket.js';
export { dialTcp, TCP_HELLO, TCP_RECONNECT_LINE } from './tcp.js';
export { dialSse, SSE_EVENTS } from './sse.js';
export { DROP_CLASSES, parseEcho, type Connection, type ConnectionEvents, type Dialer, type DropClass, type EndClass, type SessionEnd } from './connection.js';
