import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../../helpers/tmp.js';
import type { KObject } from '../../../../src/localcluster/api/types.js';
import { PodWorker, type PodWorkerOptions } from '../../../../src/localcluster/runtime/pod-worker.js';
import type { PodEvent } from '../../../../src/localcluster/runtime/runner-context.js';

/** Pod workers on real processes, with every status and event they report. Call `cleanup()` in afterEach. */

export interface RunningPod {
  worker: PodWorker;
  dir: string;
  statuses: any[];
  events: PodEvent[];
  /** ms since the worker started (wall clock) of each status report, and of each event */
  reportedAtMs: number[];
  eventAtMs: number[];
  readonly last: any;
  container(name?: string): any;
  log(container?: string, restartCount?: number): string;
  waitFor(what: string, predicate: (status: any) => boolean, timeoutMs?: number): Promise<any>;
}

export const defaultServer = `
const http = require('http');
const server = http.createServer((req, res) => { res.statusCode = req.url === '/fail' ? 503 : 200; res.end('ok'); });
server.listen(Number(process.env.PORT || 8080), process.env.POD_IP, () => console.log('listening on ' + process.env.POD_IP));
process.on('SIGTERM', () => { console.log('got SIGTERM'); server.close(() => process.exit(0)); });
`;

export function pod(name: string, spec: any, metadata: Partial<KObject['metadata']> = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `00000000-0000-4000-8000-${String(name.length).padStart(12, '0')}`, labels: { tier: 'backend' }, ...metadata },
    spec: { nodeName: 'node-1', restartPolicy: 'Always', terminationGracePeriodSeconds: 5, ...spec },
  };
}

export function podHarness(): { start(p: KObject, podIP: string, extra?: Partial<PodWorkerOptions>): Promise<RunningPod>; cleanup(): Promise<void> } {
  const workers: PodWorker[] = [];
  const dirs: Array<{ remove(): Promise<void> }> = [];
  return {
    async start(p, podIP, extra = {}) {
      const tmp = await tempDir('crt-runtime-');
      dirs.push(tmp);
      const dir = path.join(tmp.dir, 'pod');
      const statuses: any[] = [];
      const reportedAtMs: number[] = [];
      const events: PodEvent[] = [];
      const eventAtMs: number[] = [];
      const t0 = Date.now();
      const waiters = new Set<() => void>();
      const worker = new PodWorker({
        pod: p, podIP, hostIP: '127.0.0.1', nodeName: 'node-1', dir,
        // a cap far above the test's delays, so a slow machine never outlasts it and resets the back-off
        backoff: { initialMs: 200, maxMs: 5000 },
        onStatus: (s) => {
          statuses.push(structuredClone(s));
          reportedAtMs.push(Date.now() - t0);
          for (const wake of waiters) wake();
        },
        onEvent: (e) => {
          events.push(e);
          eventAtMs.push(Date.now() - t0);
        },
        ...extra,
      });
      workers.push(worker);
      worker.start();
      const running: RunningPod = {
        worker, dir, statuses, events, reportedAtMs, eventAtMs,
        get last() {
          return statuses[statuses.length - 1];
        },
        container: (name = 'app') => running.last?.containerStatuses?.find((c: any) => c.name === name),
        log: (container = 'app', restartCount = 0) => readFileSync(path.join(dir, 'logs', container, `${restartCount}.log`), 'utf8'),
        // reports are checked as they arrive and every 10 ms, for predicates that also look at files
        waitFor: (what, predicate, timeoutMs = 5000) => new Promise((resolve, reject) => {
          const check = () => {
            const found = statuses.find(predicate);
            if (found === undefined) return;
            clearTimeout(timer);
            clearInterval(poll);
            waiters.delete(check);
            resolve(found);
          };
          const poll = setInterval(check, 10);
          const timer = setTimeout(() => {
            clearInterval(poll);
            waiters.delete(check);
            reject(new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(running.last)}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        }),
      };
      return running;
    },
    async cleanup() {
      const list = workers.splice(0);
      for (const w of list) w.kill();
      for (const w of list) await w.gone();
      for (const d of dirs.splice(0)) await d.remove();
    },
  };
}

/** Whether a process is alive: it exists and is not a zombie waiting for its parent to reap it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export const condition = (status: any, type: string): string | undefined => status?.conditions?.find((c: any) => c.type === type)?.status;
