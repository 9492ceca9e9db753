import { mergeEncoded, mergeHistograms, summarize } from './histogram.js';
import type { LoadSample, SessionSample, SessionStats } from './types.js';

function emptySession(): SessionSample {
  return { alive: 0, expected: 0, opened: 0, dropped: { closed: 0, reset: 0, timeout: 0 }, asked: 0, reconnects: 0, failedAttempts: 0, reconnectTime: '' };
}

/** Sessions of several generators in the same second: counts summed, histograms merged exactly. */
export function mergeSessionSamples(samples: readonly LoadSample[]): SessionSample | null {
  const parts = samples.flatMap((s) => (s.sessions ? [s.sessions] : []));
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0] as SessionSample;
  const out = emptySession();
  for (const p of parts) {
    out.alive += p.alive;
    out.expected += p.expected;
    out.opened += p.opened;
    out.dropped.closed += p.dropped.closed;
    out.dropped.reset += p.dropped.reset;
    out.dropped.timeout += p.dropped.timeout;
    out.asked += p.asked;
    out.reconnects += p.reconnects;
    out.failedAttempts += p.failedAttempts;
  }
  out.reconnectTime = mergeEncoded(parts.map((p) => p.reconnectTime));
  return out;
}

/**
 * The sessions of a set of samples (a phase, a stage, a case) as `{sessions}`, or `{}` when no
 * sample carries sessions. The alive count is summed per second over generators before its minimum is taken.
 */
export function sessionStatsOf(samples: readonly LoadSample[]): { sessions?: SessionStats } {
  const bySec = new Map<number, LoadSample[]>();
  for (const s of samples) {
    if (!s.sessions) continue;
    const group = bySec.get(s.sec);
    if (group) group.push(s);
    else bySec.set(s.sec, [s]);
  }
  if (bySec.size === 0) return {};
  const droppedBy = { closed: 0, reset: 0, timeout: 0 };
  const stats: SessionStats = { opened: 0, dropped: 0, droppedBy, asked: 0, reconnects: 0, failedAttempts: 0, reconnectTime: null, minAlive: null, expected: 0, secondsBelowFull: 0 };
  const histograms: string[] = [];
  const seconds = [...bySec.values()].map((group) => mergeSessionSamples(group) as SessionSample);
  stats.expected = Math.max(...seconds.map((s) => s.expected));
  for (const s of seconds) {
    stats.opened += s.opened;
    droppedBy.closed += s.dropped.closed;
    droppedBy.reset += s.dropped.reset;
    droppedBy.timeout += s.dropped.timeout;
    stats.asked += s.asked;
    stats.reconnects += s.reconnects;
    stats.failedAttempts += s.failedAttempts;
    histograms.push(s.reconnectTime);
    if (s.alive < s.expected) stats.secondsBelowFull++;
    // seconds still ramping up say nothing about sessions lost
    if (s.expected > 0 && s.expected === stats.expected) stats.minAlive = Math.min(stats.minAlive ?? Infinity, s.alive);
  }
  stats.dropped = droppedBy.closed + droppedBy.reset + droppedBy.timeout;
  stats.reconnectTime = summarize(mergeHistograms(histograms));
  return { sessions: stats };
}
