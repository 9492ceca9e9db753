import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, systemClock } from '../../core/index.js';
import type { GeneratorMessage } from '../engine.js';
import { runGenerator, type GeneratorConfig } from './generator.js';

/**
 * Entry point of a generator thread: one generator, its own event loop, its own connections.
 * It says 'ready' once loaded, then waits for `{start: originMs}`; 'abort' stops it at once;
 * 'reconnect' replaces every connection at its next request.
 */
const port = parentPort;
if (!port) throw new Error('generator worker must run in a worker thread');
const cfg = workerData as GeneratorConfig;
const controller = new AbortController();
const emit = (m: GeneratorMessage) => port.postMessage(m);
const controls = { reconnect: () => {} };
port.on('message', (m: { start?: number } | 'abort' | 'reconnect') => {
  if (m === 'abort') {
    controller.abort();
    return;
  }
  if (m === 'reconnect') {
    controls.reconnect();
    return;
  }
  if (typeof m.start !== 'number') return;
  runGenerator(cfg, m.start, systemClock, controller.signal, emit, controls)
    .catch((err: unknown) => emit({ type: 'error', generator: cfg.generator, message: errorMessage(err) }))
    .finally(() => port.close());
});
port.postMessage('ready');
