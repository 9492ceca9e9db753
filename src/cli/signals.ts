import path from 'node:path';
import type { Journal } from '../faults/index.js';
import type { CliIO } from './io.js';

export interface SignalHandling {
  /** aborted by the first SIGINT or SIGTERM, with the signal's name as reason */
  signal: AbortSignal;
  received: 'SIGINT' | 'SIGTERM' | null;
  dispose(): void;
}

/**
 * First SIGINT/SIGTERM: abort the run (stop the load, revert, write the reports) and say so.
 * Second: exit at once, printing what is still to revert and how.
 */
export function installSignalHandlers(io: CliIO, journal: Journal, dir: string): SignalHandling {
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
      io.stderr.write(`\n${name}: stopping the load, reverting injected faults, writing the reports (send it again to exit at once)\n`);
      controller.abort(name);
      return;
    }
    const outstanding = journal.outstanding();
    io.stderr.write(`\n${name} again: exiting now.\n`);
    if (outstanding.length > 0) {
      io.stderr.write(`These faults may still be in place (${dir}/journal.jsonl):\n`);
      for (const e of outstanding) io.stderr.write(`  ${e.caseId}/${e.step}: ${e.summary} — revert: ${JSON.stringify(e.revert)}\n`);
      const out = path.relative(process.cwd(), path.dirname(dir)) || '.';
      io.stderr.write(`Revert them with: crt revert --run ${path.basename(dir)}${out === 'reports' ? '' : ` --out ${out}`}${journal.storeNames.includes('configmap') ? ' (add --kubeconfig/--context for the cluster, or --plan <plan>)' : ''}\n`);
    }
    process.exit(name === 'SIGTERM' ? 143 : 130);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return state;
}
