import { formatDuration, parseDuration } from '../core/index.js';
import type { ActionOf } from '../plan/index.js';
import { FaultError, type FaultContext, type FaultDefinition } from './fault.js';

/** How long a manual step waits for its confirmation unless it says (`timeout`). */
export const DEFAULT_MANUAL_TIMEOUT_MS = 15 * 60_000;


/**
 * `manual`: a physical-layer step a person performs (pull a cable, power off a switch). crt shows
 * the instruction and waits — the load keeps running — until the step is confirmed on the terminal
 * or with `crt confirm <run> <step>`, at most `timeout`; the injection's duration is how long the
 * person took. Nothing to revert: undoing it is another manual step.
 */
export const manualFault: FaultDefinition<'manual'> = {
  namespaceRule: 'local',
  create(action: ActionOf<'manual'>) {
    const p = action.params;
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_MANUAL_TIMEOUT_MS;
    return {
      async plan(ctx: FaultContext) {
        await Promise.resolve();
        return {
          summary: `manual: ${p.instruction}`,
          targets: [],
          revert: null,
          async apply() {
            if (!ctx.operator) throw new FaultError('a manual step needs a person to confirm it, and this run has none');
            const started = ctx.clock.now();
            const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
            try {
              const { by } = await ctx.operator.confirm({ caseId: ctx.caseId, step: ctx.step, instruction: p.instruction }, signal);
              const waitedMs = Math.round(ctx.clock.now() - started);
              return { detail: `confirmed by ${by} after ${formatDuration(waitedMs)}`, data: { by, waitedMs } };
            } catch (err) {
              if (ctx.signal.aborted) throw new FaultError('not confirmed: the run was interrupted');
              if (signal.aborted) throw new FaultError(`not confirmed within ${formatDuration(timeoutMs)}`);
              throw err;
            }
          },
        };
      },
    };
  },

  revert() {
    return Promise.reject(new FaultError('a manual step has no revert'));
  },
};
