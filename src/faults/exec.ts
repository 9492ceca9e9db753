import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stringify } from 'safe-stable-stringify';
import { commandEnvironment, describeCommandResult, errorMessage, parseDuration, runCommand, variablesNeeded } from '../core/index.js';
import { loadPlan, type ActionOf, type ActionSpec } from '../plan/index.js';
import { FaultError, type FaultContext, type FaultDefinition, type RevertRecord } from './fault.js';

export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;


/**
 * An exec revert as journaled: the names of its `env:` variables, never their values (a value
 * written in the plan may be a secret, and the journal is a file and a ConfigMap). The values are
 * taken again from the step itself when the revert runs: from the run's plan in memory, else from
 * a plan file (`crt revert --plan`, or `planFile`, the plan the run was started with), whose step
 * must still have the same revert command and `env:` as written (`envSha256`); `${…}` references
 * in them are then read from crt's environment, as when the fault was injected.
 */
export interface ExecRevert extends RevertRecord {
  fault: 'exec';
  command: string;
  cwd: string;
  /** the names of the step's `env:` variables (KUBECONFIG and CRT_* are set again by crt) */
  envNames?: string[];
  /** sha256 of the step's revert command and `env:` as written: the step a revert reads the values from must match it */
  envSha256?: string;
  /** the plan the run was started with (absolute) */
  planFile?: string;
  /** journaled by an older crt: the command's env as the plan wrote it (`${…}` references, literal values) */
  env?: Record<string, string>;
  /** the variables the revert reads from crt's environment (names only), set when the fault was injected */
  needs?: string[];
  timeoutMs: number;
}

/** What identifies a step's revert and its environment as written, without holding it. */
export function execEnvFingerprint(revertCommand: string, env: Readonly<Record<string, string>>): string {
  return createHash('sha256').update(stringify({ revertCommand, env }) ?? '').digest('hex');
}

/**
 * `exec`: a local command, for what the Kubernetes API cannot do (power off a VM, shut a
 * switch port, take a backup). The command runs from the plan's folder with CRT_RUN_ID,
 * CRT_CASE_ID and CRT_STEP set; a non-zero exit is a failed injection.
 */
export const execFault: FaultDefinition<'exec'> = {
  namespaceRule: 'local',
  create(action: ActionOf<'exec'>) {
    const p = action.params;
    const timeoutMs = p.timeout ? parseDuration(p.timeout) : DEFAULT_EXEC_TIMEOUT_MS;
    return {
      async plan(ctx: FaultContext) {
        const cwd = p.cwd ?? ctx.planDir;
        const env = commandVariables(ctx, p.env ?? {});
        const revert: ExecRevert | null = p.revertCommand
          ? {
            fault: 'exec', command: p.revertCommand, cwd, envNames: Object.keys(p.env ?? {}), envSha256: execEnvFingerprint(p.revertCommand, p.env ?? {}),
            ...(ctx.planFile ? { planFile: ctx.planFile } : {}), needs: variablesNeeded(p.revertCommand, env, process.env), timeoutMs,
          }
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
    const templates = r.env ?? commandVariables(ctx, stepEnv(r, ctx));
    const { env, missing } = commandEnvironment(templates, process.env);
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

/** The environment crt gives a command: the cluster's kubeconfig, the step's `env:` (templates), then crt's own variables. */
function commandVariables(ctx: FaultContext, templates: Readonly<Record<string, string>>): Record<string, string> {
  return { ...(ctx.kubeconfig ? { KUBECONFIG: ctx.kubeconfig } : {}), ...templates, CRT_RUN_ID: ctx.runId, CRT_CASE_ID: ctx.caseId, CRT_STEP: ctx.step };
}

/**
 * The `env:` of the step a revert belongs to, as written: from the step in memory (the run that
 * injected it), else from a plan file whose step matches the journaled fingerprint. A revert without
 * variables needs no plan. Throws, naming the variables and where it looked, when no step matches.
 */
function stepEnv(r: ExecRevert, ctx: FaultContext): Record<string, string> {
  const names = r.envNames ?? [];
  if (names.length === 0) return {};
  const fromAction = (a: ActionSpec | undefined) => {
    const p = a?.kind === 'exec' ? a.params : undefined;
    return p?.revertCommand && p.env && execEnvFingerprint(p.revertCommand, p.env) === r.envSha256 ? p.env : undefined;
  };
  const inMemory = fromAction(ctx.action);
  if (inMemory) return inMemory;
  const tried: string[] = [];
  for (const file of [...new Set([ctx.planFile, r.planFile].filter((f): f is string => Boolean(f)))]) {
    if (!existsSync(file)) {
      tried.push(`${file}: not found`);
      continue;
    }
    try {
      const step = loadPlan(file).plan.cases.find((c) => c.id === ctx.caseId)?.trigger.find((a) => a.name === ctx.step);
      const env = fromAction(step);
      if (env) return env;
      tried.push(`${file}: ${step ? 'its revertCommand or env: changed since the fault' : `has no step ${ctx.caseId}/${ctx.step}`}`);
    } catch (err) {
      tried.push(`${file}: ${errorMessage(err)}`);
    }
  }
  throw new FaultError(`revert \`${r.command}\` needs the values of its env: ${names.join(', ')}, which the journal does not keep (names only): ${tried.length ? tried.join('; ') : 'no plan to read them from'}`
    + '; run crt revert --plan <the run\'s plan, as it was>');
}

function lastLine(text: string): string | undefined {
  const line = text.trim().split('\n').pop()?.trim();
  return line ? line.slice(0, 200) : undefined;
}
