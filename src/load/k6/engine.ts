import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, on, once } from 'node:events';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '../../core/index.js';
import type { GeneratorMessage, LoadEngine, PrepareContext, PreparedLoad, ResolvedLoad } from '../engine.js';
import { k6RunArgs, k6RunEnv, type K6RunFiles } from './args.js';
import { K6SampleBuilder } from './output.js';
import { K6_STOP_GRACE_MS, K6_THRESHOLDS_CROSSED, k6Version } from './process.js';
import { generateK6Script } from './script.js';
import { crossedWithoutSummary, thresholdExpectations, type K6SummaryExport } from './summary.js';
import { FileTail } from './tail.js';

/** k6 writes its JSON output in batches (about every second): seconds are final this long after they end. */
const OUTPUT_LAG_MS = 2500;
const POLL_MS = 250;

/**
 * `engine: k6`: runs k6 as a subprocess on a script crt generates from the load (or the
 * load's own `script:`), reads its JSON output as it is written and turns it into the same
 * per-second samples as autocannon's (see K6SampleBuilder for what is measured). Thresholds
 * of the script become expectations of the case; SIGINT stops k6, and it is killed if it
 * does not stop in time.
 */
export class K6Engine implements LoadEngine {
  readonly name = 'k6';

  constructor(private readonly binary = 'k6') {}

  async version(): Promise<string> {
    return k6Version(this.binary);
  }

  async prepare(load: ResolvedLoad, ctx: PrepareContext): Promise<PreparedLoad> {
    const binary = load.spec.k6Binary || this.binary;
    const version = await k6Version(binary);
    ctx.log.info({ k6: version, binary }, 'k6 found');
    const dir = ctx.workDir ? path.join(ctx.workDir, 'k6', ctx.caseId ?? 'case') : await mkdtemp(path.join(os.tmpdir(), 'crt-k6-'));
    await mkdir(dir, { recursive: true });
    let script = load.spec.script;
    if (!script) {
      script = path.join(dir, 'script.js');
      await writeFile(script, generateK6Script({ url: load.url, headers: load.headers, spec: load.spec, maxStageMs: ctx.maxStageMs }));
    }
    const files: K6RunFiles = { script, json: path.join(dir, 'points.json'), summary: path.join(dir, 'summary.json') };
    const tags: Record<string, string> = {};
    if (ctx.runId) tags.run = ctx.runId;
    if (ctx.caseId) tags.case = ctx.caseId;
    const args = k6RunArgs({ files, tags, ...(ctx.influx ? { influx: ctx.influx } : {}), extraArgs: load.spec.k6.extraArgs });
    const env = k6RunEnv({
      base: process.env, url: load.url, method: load.spec.method, headers: load.headers, body: load.spec.body, env: load.spec.k6.env,
      ...(ctx.runId ? { runId: ctx.runId } : {}), ...(ctx.caseId ? { caseId: ctx.caseId } : {}), ...(ctx.influx ? { influx: ctx.influx } : {}),
    });
    const stageStarts: number[] = [];
    let at = 0;
    for (const s of load.spec.stages) {
      stageStarts.push(at);
      at += s.durationMs ?? ctx.maxStageMs;
    }
    return new PreparedK6(binary, args, env, files, stageStarts);
  }
}

class PreparedK6 implements PreparedLoad {
  constructor(
    private readonly binary: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly files: K6RunFiles,
    private readonly stageStarts: number[],
  ) {}

  async *start(originMs: number, signal: AbortSignal): AsyncGenerator<GeneratorMessage> {
    const wait = originMs - (performance.timeOrigin + performance.now());
    if (wait > 0) await delay(wait);
    const bus = new EventEmitter();
    const emit = (m: GeneratorMessage) => bus.emit('message', m);
    const child = spawn(this.binary, this.args, { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const stopping = { sent: false };
    const stop = () => void stopK6(child, stopping);
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    const pump = this.pump(child, originMs, emit, () => stderr, stopping)
      .catch((err: unknown) => emit({ type: 'error', generator: 0, message: `reading k6's output failed: ${errorMessage(err)}` }))
      .finally(() => bus.emit('end'));
    let finished = false;
    try {
      for await (const [m] of on(bus, 'message', { close: ['end'] })) yield m as GeneratorMessage;
      await pump;
      finished = true;
    } finally {
      signal.removeEventListener('abort', stop);
      if (!finished) await stopK6(child, stopping);
    }
  }

  private async pump(child: ChildProcess, originMs: number, emit: (m: GeneratorMessage) => void, stderr: () => string, stopping: { sent: boolean }): Promise<void> {
    const builder = new K6SampleBuilder(originMs, 0, (stage) => emit({ type: 'stage', generator: 0, stage, at: originMs + (this.stageStarts[stage] ?? 0) }));
    const tail = new FileTail(this.files.json);
    const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('exit', (code) => resolve({ code }));
      child.once('error', (error) => resolve({ code: null, error }));
    });
    let exit: { code: number | null; error?: Error } | null = null;
    void exited.then((e) => (exit = e));
    while (!exit) {
      await Promise.race([delay(POLL_MS), exited]);
      for (const line of await tail.read()) builder.addLine(line);
      const flushed = builder.flush(performance.timeOrigin + performance.now() - OUTPUT_LAG_MS);
      if (flushed.samples.length > 0) emit(flushed);
    }
    for (const line of await tail.finish()) builder.addLine(line);
    emit(builder.flush(Infinity, true));
    const end = exit as { code: number | null; error?: Error };
    if (end.error) emit({ type: 'error', generator: 0, message: `k6 did not start: ${end.error.message}` });
    const summary = await readSummary(this.files.summary);
    const thresholds = summary ? thresholdExpectations(summary) : [];
    if (end.code === K6_THRESHOLDS_CROSSED && !thresholds.some((t) => t.verdict === 'failed')) thresholds.push(crossedWithoutSummary(`see ${this.files.summary}`));
    if (thresholds.length > 0) emit({ type: 'expectations', generator: 0, results: thresholds });
    // after SIGINT k6 may exit with 105 (external abort) or die of SIGKILL: that is the abort, not an error
    if (!end.error && end.code !== 0 && end.code !== K6_THRESHOLDS_CROSSED && !stopping.sent) {
      emit({ type: 'error', generator: 0, message: `k6 exited with code ${end.code}: ${lastLines(stderr())}` });
    } else if (builder.points === 0 && builder.badLines > 0) {
      emit({ type: 'error', generator: 0, message: `k6 output ${this.files.json} had no readable points (${builder.badLines} bad lines)` });
    }
    emit({ type: 'done', generator: 0, at: performance.timeOrigin + performance.now() });
  }

  async dispose(): Promise<void> {
    // nothing runs before start()
  }
}

/** SIGINT (k6 stops its VUs and writes its summary), then SIGKILL when it does not exit in time. */
async function stopK6(child: ChildProcess, stopping: { sent: boolean }): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  stopping.sent = true;
  child.kill('SIGINT');
  const timer = AbortSignal.timeout(K6_STOP_GRACE_MS);
  try {
    await once(child, 'exit', { signal: timer });
  } catch {
    child.kill('SIGKILL');
  }
}

async function readSummary(file: string): Promise<K6SummaryExport | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as K6SummaryExport;
  } catch {
    return null;
  }
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-3).join(' | ') || 'no output on stderr';
}
