import { commandEnvironment, describeCommandResult, runCommand } from '../core/index.js';
import type { ProbeSpec } from '../plan/index.js';
import type { Probe, ProbeContext, ProbeOutcome } from './probe.js';

interface CommandParams {
  command: string;
  expectExit?: number;
  outputMatches?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** `command`: a local command that must exit as expected (and print what is expected). */
export function commandProbe(spec: ProbeSpec): Probe {
  const p = spec.params as unknown as CommandParams;
  const expectExit = p.expectExit ?? 0;
  return {
    async check(ctx: ProbeContext): Promise<ProbeOutcome> {
      // env: values keep their ${…} references in the plan (src/plan/env.ts): expanded here, as the command runs
      const env = commandEnvironment({ ...(ctx.kubeconfig ? { KUBECONFIG: ctx.kubeconfig } : {}), ...p.env }, process.env).env;
      const r = await runCommand(p.command, { cwd: p.cwd ?? ctx.planDir, env, timeoutMs: spec.timeoutMs, signal: ctx.signal });
      if (r.exitCode !== expectExit) return { ok: false, detail: `\`${p.command}\` ${describeCommandResult(r)} (expected exit ${expectExit})` };
      if (p.outputMatches !== undefined && !new RegExp(p.outputMatches, 'm').test(r.stdout)) {
        return { ok: false, detail: `\`${p.command}\` output does not match /${p.outputMatches}/` };
      }
      const out = r.stdout.trim().split('\n').pop()?.slice(0, 200);
      return { ok: true, detail: `\`${p.command}\` exited ${expectExit}${out ? `: ${out}` : ''}` };
    },
  };
}
