import autocannon from 'autocannon';
import type { Clock } from '../../core/index.js';
import type { LoadSpec, StageSpec } from '../../plan/index.js';
import { Recorder, type BusyMeter } from '../recorder.js';
import type { GeneratorMessage } from '../engine.js';
import { fdExhaustedMessage, openFilesLimit } from '../fd-limit.js';
import { Pacer, type AutocannonClient } from './pacer.js';

/** Everything one generator needs; crosses the worker-thread boundary, so plain data only. */
export interface GeneratorConfig extends Pick<LoadSpec, 'method' | 'body' | 'timeoutMs' | 'okStatus' | 'servedBy' | 'stages'> {
  generator: number;
  /** delay of this generator's start after second 0 (staggered starts) */
  offsetMs: number;
  url: string;
  headers: Record<string, string>;
  /** upper bound of a stage with only a request count */
  maxStageMs: number;
  /** connections the whole load holds at once in this process (every generator's), for the EMFILE message */
  processConnections: number;
}

/** autocannon's own timeout would close idle paced connections; crt times requests out itself. */
const AUTOCANNON_TIMEOUT_SEC = 24 * 3600;

/**
 * Runs the stages of one generator, one after the other on their planned schedule, and
 * emits per-second samples as each second ends. A stage that ends leaves its requests in
 * flight to finish (or time out) while the next stage already runs, so the schedule holds.
 */
export async function runGenerator(
  cfg: GeneratorConfig,
  originMs: number,
  clock: Clock,
  signal: AbortSignal,
  emit: (m: GeneratorMessage) => void,
  controls?: { reconnect: () => void },
  /** how busy this thread is (default: its event loop's utilisation); a test forces saturation with it */
  busy?: BusyMeter,
): Promise<void> {
  const generatorStartMs = originMs + cfg.offsetMs;
  const recorder = new Recorder(originMs, cfg.generator, generatorStartMs, busy);
  const flusher = startFlusher(cfg.generator, originMs, clock, recorder, emit);
  const draining: Array<Promise<void>> = [];
  const running = new Set<{ pacer: Pacer; instance: autocannon.Instance; done: Promise<void> }>();
  const onAbort = () => {
    for (const r of running) {
      r.pacer.abort();
      r.instance.stop();
    }
  };
  signal.addEventListener('abort', onAbort, { once: true });
  if (controls) controls.reconnect = () => running.forEach((r) => r.pacer.reconnect());
  const fd = { code: null as 'EMFILE' | 'ENFILE' | null, failures: 0 };
  const onFdExhausted = (code: 'EMFILE' | 'ENFILE') => {
    fd.code ??= code;
    fd.failures++;
  };
  try {
    await sleepUntil(clock, generatorStartMs, signal);
    let plannedStart = generatorStartMs;
    for (const stage of cfg.stages) {
      if (signal.aborted) break;
      recorder.stageActive(stage.index, true);
      let exhausted!: () => void;
      const allIssued = new Promise<void>((resolve) => (exhausted = resolve));
      const pacer = new Pacer({
        stage: stage.index, rateRps: stage.rateRps, maxRequests: stage.requests,
        timeoutMs: cfg.timeoutMs, okStatus: cfg.okStatus, servedBy: cfg.servedBy, clock, recorder, onExhausted: () => exhausted(), onFdExhausted,
      });
      const stageMs = stage.durationMs ?? cfg.maxStageMs;
      const run = { pacer, ...startAutocannon(cfg, stage, stageMs, pacer) };
      running.add(run);
      // the clients exist now (autocannon builds them synchronously): the schedule starts here
      const startMs = Math.max(clock.now(), plannedStart);
      const endMs = startMs + stageMs;
      pacer.begin(startMs, endMs);
      emit({ type: 'stage', generator: cfg.generator, stage: stage.index, at: startMs });
      // run.done only settles early when autocannon refuses the options: that error ends the generator.
      // The end-of-stage timer is cancelled when the stage ends otherwise, or it keeps the thread alive.
      const stageTimer = new AbortController();
      try {
        await Promise.race([sleepUntil(clock, endMs, AbortSignal.any([signal, stageTimer.signal])).catch(() => undefined), allIssued, run.done]);
      } finally {
        stageTimer.abort();
      }
      plannedStart = stage.durationMs !== null ? endMs : clock.now();
      draining.push(
        pacer.stop().then(async () => {
          run.instance.stop();
          await run.done;
          running.delete(run);
          recorder.stageActive(stage.index, false);
        }),
      );
    }
    await Promise.all(draining);
  } finally {
    signal.removeEventListener('abort', onAbort);
    flusher.stop();
    const last = recorder.flush(clock.now(), true);
    emit({ type: 'samples', generator: cfg.generator, ...last });
    // said once, with the count: the case is then inconclusive, whatever the failures made the service look like
    if (fd.code) emit({ type: 'error', generator: cfg.generator, cause: 'fd-limit', message: fdExhaustedMessage(fd.code, fd.failures, cfg.processConnections, openFilesLimit()) });
    emit({ type: 'done', generator: cfg.generator, at: clock.now() });
  }
}

function startAutocannon(cfg: GeneratorConfig, stage: StageSpec, stageMs: number, pacer: Pacer) {
  let settle!: (err: Error | null) => void;
  const done = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
  const instance = autocannon(
    {
      url: cfg.url,
      method: cfg.method as autocannon.Request['method'],
      headers: cfg.headers,
      ...(cfg.body !== null ? { body: cfg.body } : {}),
      connections: stage.connections,
      pipelining: 1,
      timeout: AUTOCANNON_TIMEOUT_SEC,
      // a safety net only: the pacer ends the stage on schedule
      duration: Math.ceil((stageMs + cfg.timeoutMs) / 1000) + 5,
      sampleInt: 100,
      setupClient: (client) => pacer.attach(client as unknown as AutocannonClient),
    },
    (err: Error | null) => settle(err ?? null),
  );
  done.catch(() => undefined); // awaited by the caller; marked handled so an early error is not "unhandled"
  return { instance, done };
}

function startFlusher(generator: number, originMs: number, clock: Clock, recorder: Recorder, emit: (m: GeneratorMessage) => void) {
  let timer: NodeJS.Timeout | null = null;
  const next = () => {
    const now = clock.now();
    const sinceOrigin = now - originMs;
    // just after the next second boundary, so completions at the boundary are in
    const delay = 1000 - (((sinceOrigin % 1000) + 1000) % 1000) + 15;
    timer = setTimeout(() => {
      emit({ type: 'samples', generator, ...recorder.flush(clock.now()) });
      next();
    }, delay);
  };
  next();
  return { stop: () => timer && clearTimeout(timer) };
}

async function sleepUntil(clock: Clock, atMs: number, signal: AbortSignal): Promise<void> {
  const ms = atMs - clock.now();
  if (ms > 0) await clock.sleep(ms, signal);
}
