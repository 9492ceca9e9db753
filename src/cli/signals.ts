import path from 'node:path';
import { ExitCode, systemClock, type Clock } from '../core/index.js';
import type { Journal } from '../faults/index.js';
import type { CliIO } from './io.js';

export interface SignalHandling {
  /** aborted by the first SIGINT or SIGTERM, with the signal's name as reason */
  signal: AbortSignal;
  received: 'SIGINT' | 'SIGTERM' | null;
  dispose(): void;
}

/**
 * A second signal this soon after the first is the same keystroke delivered twice: `npm run` (and other
 * wrappers sharing the terminal's process group) passes a Ctrl-C on to crt, which the terminal has already
 * sent it. Taken as "exit at once" it would skip the reverts, so it is ignored (Playwright's SIGINT watcher
 * does the same).
 */
export const DUPLICATE_SIGNAL_MS = 1000;

/**
 * First SIGINT/SIGTERM: abort the run (stop the load, revert, write the reports) and say so.
 * Second (a second or more later): exit at once, printing what is still to revert and how.
 * `exit` and `clock` are for tests.
 */
export function installSignalHandlers(
  io: CliIO, journal: Journal, dir: string,
  opts: { clock?: Clock; exit?: (code: number) => void } = {},
): SignalHandling {
  const clock = opts.clock ?? systemClock;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let firstAt = 0;
  const controller = new AbortController();
  const state: SignalHandling = {
    signal: controller.signal,
    received: null,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  function onSignal(sig: NodeJS.Signals): void {
    const name = sig === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    if (state.received === null) {
      state.received = name;
      firstAt = clock.now();
      io.stderr.write(`\n${name}: stopping the load, reverting injected faults, writing the reports (send it again to exit at once)\n`);
      controller.abort(name);
      return;
    }
    if (clock.now() - firstAt < DUPLICATE_SIGNAL_MS) return;
    const outstanding = journal.outstanding();
    io.stderr.write(`\n${name} again: exiting now.\n`);
    if (outstanding.length > 0) {
      io.stderr.write(`These faults may still be in place (${dir}/journal.jsonl):\n`);
      for (const e of outstanding) io.stderr.write(`  ${e.caseId}/${e.step}: ${e.summary} — revert: ${JSON.stringify(e.revert)}\n`);
      const out = path.relative(process.cwd(), path.dirname(dir)) || '.';
      io.stderr.write(`Revert them with: crt revert --run ${path.basename(dir)}${out === 'reports' ? '' : ` --out ${out}`}${journal.storeNames.includes('configmap') ? ' (add --kubeconfig/--context for the cluster, or --plan <plan>)' : ''}\n`);
    }
    exit(name === 'SIGTERM' ? ExitCode.sigterm : ExitCode.sigint);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return state;
}
