import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, type Clock } from '../core/index.js';
import type { ManualOperator } from '../faults/index.js';

/**
 * What a run does with manual steps: `ask` (a person at the terminal: Enter, or `crt confirm`),
 * `wait` (only `crt confirm`, e.g. crt runs under nohup), `skip` (nobody is there, as in CI: the case
 * is skipped), `assume-done` (the step is taken as done at once: `--assume-done`).
 */
export type ManualMode = 'ask' | 'wait' | 'skip' | 'assume-done';

/** A question on the terminal: resolves when the person answers, rejects when `signal` aborts. */
export type TerminalPrompt = (text: string, signal: AbortSignal) => Promise<void>;

const CONFIRM_DIR = 'confirm';
const POLL_MS = 250;

const stem = (caseId: string, step: string) => `${caseId}--${step}`;

/**
 * The run's operator for manual steps. A waiting step is a file `confirm/<case>--<step>.waiting` in
 * the run folder; `crt confirm` answers it by writing `<case>--<step>.done` (files, because the
 * confirmation comes from another process, possibly another shell or session on the same host).
 */
export class RunOperator implements ManualOperator {
  constructor(
    readonly mode: ManualMode,
    private readonly o: { dir: string; runId: string; clock: Clock; notify: (message: string) => void; prompt?: TerminalPrompt },
  ) {}

  async confirm(req: { caseId: string; step: string; instruction: string }, signal: AbortSignal): Promise<{ by: string }> {
    if (this.mode === 'assume-done') return { by: '--assume-done' };
    if (this.mode === 'skip') throw new Error('manual steps are skipped in this run');
    const dir = path.join(this.o.dir, CONFIRM_DIR);
    await mkdir(dir, { recursive: true });
    const waiting = path.join(dir, `${stem(req.caseId, req.step)}.waiting`);
    await writeFile(waiting, `${JSON.stringify({ caseId: req.caseId, step: req.step, instruction: req.instruction, since: new Date().toISOString() })}\n`);
    const command = `crt confirm ${this.o.runId} ${req.step}${this.o.dir ? ` --out ${path.relative(process.cwd(), path.dirname(this.o.dir)) || '.'}` : ''}`;
    const how = this.mode === 'ask' && this.o.prompt ? `press Enter here, or run: ${command}` : `run: ${command}`;
    this.o.notify(`MANUAL STEP ${req.caseId}/${req.step}: ${req.instruction}\n  the load keeps running; when it is done, ${how}`);
    const done = new AbortController();
    const both = AbortSignal.any([signal, done.signal]);
    try {
      const answers: Array<Promise<{ by: string }>> = [this.pollDone(path.join(dir, `${stem(req.caseId, req.step)}.done`), both)];
      if (this.mode === 'ask' && this.o.prompt) answers.push(this.o.prompt(`[${req.caseId}/${req.step}] press Enter when done: `, both).then(() => ({ by: 'terminal' })));
      return await Promise.race(answers);
    } finally {
      done.abort();
      await rm(waiting, { force: true });
    }
  }

  private async pollDone(file: string, signal: AbortSignal): Promise<{ by: string }> {
    while (!existsSync(file)) await this.o.clock.sleep(POLL_MS, signal);
    try {
      const by = (JSON.parse(await readFile(file, 'utf8')) as { by?: string }).by;
      return { by: `crt confirm${by ? ` (${by})` : ''}` };
    } catch {
      return { by: 'crt confirm' };
    }
  }
}

/**
 * `crt confirm`: marks a waiting manual step of a running run as done. Without a case id, the one
 * case waiting on that step. Returns the case it confirmed; throws UsageError when nothing (or more than
 * one case) waits, and the file system's error when the run folder cannot be read or written.
 */
export async function confirmStep(runDir: string, step: string, caseId: string | undefined, by: string): Promise<string> {
  const dir = path.join(runDir, CONFIRM_DIR);
  const waiting = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith(`--${step}.waiting`)).map((f) => f.slice(0, -`--${step}.waiting`.length)) : [];
  const matching = caseId ? waiting.filter((c) => c === caseId) : waiting;
  if (matching.length === 0) {
    const others = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.waiting')).map((f) => f.replace(/\.waiting$/, '').replace('--', '/')) : [];
    throw new UsageError(`no manual step ${caseId ? `${caseId}/` : ''}${step} is waiting in ${runDir}${others.length ? ` (waiting: ${others.join(', ')})` : ''}`, {
      hint: 'the step must be waiting: crt run prints MANUAL STEP when it asks',
    });
  }
  if (matching.length > 1) throw new UsageError(`several cases wait on step ${step}: ${matching.join(', ')}`, { hint: 'give --case' });
  const id = matching[0] as string;
  await writeFile(path.join(dir, `${stem(id, step)}.done`), `${JSON.stringify({ by, at: new Date().toISOString() })}\n`);
  return id;
}
