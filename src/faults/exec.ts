import { commandEnvironment, describeCommandResult, runCommand, variablesNeeded } from '../core/command.js';
import { parseDuration } from '../core/units.js';
import type { ActionSpec } from '../plan/types.js';
import { FaultError, type FaultContext, type FaultDefinition, type RevertRecord } from './fault.js';

export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;

interface ExecParams {
  command: string;
  revertCommand?: string;
  timeout?: string;
  env?: Record<string, string>;
  cwd?: string;
}

interface ExecRevert extends RevertRecord {
  fault: 'exec';
  command: string;
  cwd: string;
  /** the command's env: as the plan wrote it, `${…}` references and not their values (journals are files) */
  env: Record<string, string>;
  /** the variables the revert reads from crt's environment (names only), set when the fault was injected */
  needs?: string[];
  timeoutMs: number;
}

/**
 * `exec`: a local command, for what the Kubernetes API cannot do (power off a VM, shut a
 * switch port, take a backup). The command runs from the plan's folder with CRT_RUN_ID,
 * CRT_CASE_ID and CRT_STEP set; a non-zero exit is a failed injection.
 */
export const execFault: FaultDefinition = {
  create(action: ActionSpec) {
    const p = action.params as unknown as ExecParams;
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_EXEC_TIMEOUT_MS;
    return {
      async plan(ctx: FaultContext) {
        const cwd = p.cwd ?? ctx.planDir;
        const env = { ...(ctx.kubeconfig ? { KUBECONFIG: ctx.kubeconfig } : {}), ...p.env, CRT_RUN_ID: ctx.runId, CRT_CASE_ID: ctx.caseId, CRT_STEP: ctx.step };
        const revert: ExecRevert | null = p.revertCommand
          ? { fault: 'exec', command: p.revertCommand, cwd, env, needs: variablesNeeded(p.revertCommand, env, process.env), timeoutMs }
          : null;
        return {
          summary: `run \`${p.command}\``,
          targets: [p.command],
          revert,
          async apply() {
            const r = await runCommand(p.command, { cwd, env: commandEnvironment(env, process.env).env, timeoutMs, signal: ctx.signal });
            if (r.exitCode !== 0) throw new FaultError(`\`${p.command}\` ${describeCommandResult(r)}`, r.stderr || r.stdout);
            return { detail: lastLine(r.stdout), data: { durationMs: Math.round(r.durationMs) } };
          },
        };
      },
    };
  },

  async revert(record: RevertRecord, ctx: FaultContext) {
    const r = record as ExecRevert;
    const { env, missing } = commandEnvironment(r.env, process.env);
    const unset = [...new Set([...(r.needs ?? []).filter((n) => !process.env[n]), ...missing])];
    if (unset.length > 0) {
      // the journal keeps names, not values: running with an empty value could revert the wrong thing
      throw new FaultError(`revert \`${r.command}\` needs ${unset.join(', ')} from the environment, which ${unset.length === 1 ? 'is' : 'are'} not set: export ${unset.length === 1 ? 'it' : 'them'} and run crt revert again`);
    }
    const result = await runCommand(r.command, { cwd: r.cwd, env, timeoutMs: r.timeoutMs, signal: ctx.signal });
    if (result.exitCode !== 0) throw new FaultError(`revert \`${r.command}\` ${describeCommandResult(result)}`, result.stderr || result.stdout);
    return `ran \`${r.command}\``;
  },
};

function lastLine(text: string): string | undefined {
  const line = text.trim().split('\n').pop()?.trim();
  return line ? line.slice(0, 200) : undefined;
}
