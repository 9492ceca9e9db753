import { parseDuration } from '../core/index.js';
import type { LoadDoc } from './schema-load.js';
import type { SessionSpec } from './types.js';

/**
 * `sessions:` of an `engine: sessions` load, with its defaults; reports what the engine cannot
 * run (no sessions block, a sweep, a request count instead of a duration, distributed workers).
 */
export function normalizeSessions(doc: LoadDoc, err: (message: string, hint?: string, key?: string) => void): SessionSpec | undefined {
  const s = doc.sessions;
  if (doc.engine !== 'sessions') {
    if (s) err('sessions: is a setting of the sessions engine', 'set engine: sessions, or remove it', 'sessions');
    return undefined;
  }
  if (!s) {
    err('engine sessions needs a sessions: block', 'e.g. sessions: {protocol: websocket, interval: 1s}', 'engine');
    return undefined;
  }
  if (doc.stages) err('engine sessions holds one set of sessions: stages are not supported', 'give connections and duration on the load', 'stages');
  if (doc.requests !== undefined) err('engine sessions runs for a duration, not a request count', 'give duration instead', 'requests');
  if (doc.rate !== undefined) err('engine sessions paces messages with sessions.interval and opens sessions at sessions.openRate', 'remove rate', 'rate');
  if (doc.duration === undefined) err('engine sessions needs a duration: sessions are held that long', 'e.g. duration: 60s', 'engine');
  if (doc.distributed) err('engine sessions runs in crt\'s process only', 'remove distributed', 'distributed');
  return {
    protocol: s.protocol,
    openRate: s.openRate ?? 10,
    intervalMs: s.interval ? parseDuration(s.interval) : 1000,
    message: s.message ?? 'ping',
    backoff: {
      initialMs: s.backoff?.initial ? parseDuration(s.backoff.initial) : 100,
      maxMs: s.backoff?.max ? parseDuration(s.backoff.max) : 5000,
      factor: s.backoff?.factor ?? 2,
    },
  };
}
