import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { nearestRank } from './truth.js';

/**
 * A plain node:http keep-alive client sending `count` requests one after the other, timed
 * around each request: what any Node client on this machine adds to the server's hold time
 * (loopback, waking an idle thread, parsing), to tell the engine's overhead from the machine's.
 */
export async function plainClientLatency(url: string, count: number): Promise<{ p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const start = performance.now();
      http
        .get(url, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(performance.now() - start));
        })
        .on('error', reject);
    });
  try {
    const times: number[] = [];
    for (let i = 0; i < count; i++) times.push(await once());
    times.sort((a, b) => a - b);
    return { p50: nearestRank(times, 50), p99: nearestRank(times, 99) };
  } finally {
    agent.destroy();
  }
}
