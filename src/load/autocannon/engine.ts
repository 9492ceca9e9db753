import { EventEmitter, on, once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { dependencyVersion, EnvironmentError } from '../../core/index.js';
import type { GeneratorMessage, LoadEngine, PrepareContext, PreparedLoad, ResolvedLoad } from '../engine.js';
import { localConnections } from '../fd-limit.js';
import type { GeneratorConfig } from './generator.js';

const BOOT_TIMEOUT_MS = 30_000;

/**
 * The default engine: autocannon, one worker thread per generator. Each generator records
 * every request into its own per-second HDR histograms (autocannon's own worker mode does not
 * forward per-request events, so crt runs autocannon inside its own threads), and the runner
 * merges the generators' samples exactly.
 */
export class AutocannonEngine implements LoadEngine {
  readonly name = 'autocannon';

  async version(): Promise<string> {
    return dependencyVersion('autocannon');
  }

  async prepare(load: ResolvedLoad, ctx: PrepareContext): Promise<PreparedLoad> {
    const { spec } = load;
    const workers: Worker[] = [];
    for (let g = 0; g < spec.generators; g++) {
      const cfg: GeneratorConfig = {
        generator: g,
        offsetMs: g * spec.staggerMs,
        url: load.url,
        method: spec.method,
        headers: load.headers,
        body: spec.body,
        timeoutMs: spec.timeoutMs,
        okStatus: [...spec.okStatus],
        servedBy: spec.servedBy ?? null,
        stages: [...spec.stages],
        maxStageMs: ctx.maxStageMs,
        processConnections: localConnections(spec),
      };
      workers.push(new Worker(new URL('./worker.js', import.meta.url), { workerData: cfg }));
    }
    try {
      await Promise.all(workers.map((w) => once(w, 'message', { signal: AbortSignal.timeout(BOOT_TIMEOUT_MS) })));
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw new EnvironmentError(`the load generators did not start: ${(err as Error).message}`);
    }
    return new PreparedGenerators(workers);
  }
}

class PreparedGenerators implements PreparedLoad {
  constructor(private readonly workers: Worker[]) {}

  async *start(originMs: number, signal: AbortSignal): AsyncGenerator<GeneratorMessage> {
    const bus = new EventEmitter();
    let alive = this.workers.length;
    this.workers.forEach((worker, g) => {
      worker.on('message', (m: GeneratorMessage) => bus.emit('message', m));
      worker.on('error', (err) => bus.emit('message', { type: 'error', generator: g, message: err.message } satisfies GeneratorMessage));
      worker.on('exit', () => {
        if (--alive === 0) bus.emit('end');
      });
      worker.postMessage({ start: originMs });
    });
    const abort = () => this.workers.forEach((w) => w.postMessage('abort'));
    signal.addEventListener('abort', abort, { once: true });
    if (signal.aborted) abort();
    let finished = false;
    try {
      for await (const [m] of on(bus, 'message', { close: ['end'] })) yield m as GeneratorMessage;
      finished = true;
    } finally {
      signal.removeEventListener('abort', abort);
      // the consumer stopped early (an exception in the runner): do not leave load running
      if (!finished) await this.dispose();
    }
  }

  reconnect(): void {
    for (const w of this.workers) w.postMessage('reconnect');
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
