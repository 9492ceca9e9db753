import { Redactor, isSecretKey } from '../../core/index.js';
import type { InfluxConfig } from '../../metrics/index.js';
import type { Plan } from '../../plan/index.js';

/**
 * Every secret value a run knows before it starts: what the plan substituted into headers or from
 * secret-looking variables (src/plan/env.ts), the values under secret-looking keys and the URL
 * passwords of the resolved plan and its targets, the InfluxDB credentials (flag, environment or
 * files), and those on the command line. The run still sends them; it never writes them.
 */
export function runRedactor(plan: Plan, influx: InfluxConfig | null, argv: readonly string[]): Redactor {
  const redactor = new Redactor(plan.secrets).collect(plan.resolved).collect(plan.targets).collect(argv);
  if (influx) redactor.add(influx.password).add(influx.token);
  argv.forEach((arg, i) => {
    const flag = /^--([^=]+)=(.*)$/s.exec(arg);
    if (flag && isSecretKey(flag[1]!)) redactor.add(flag[2]);
    const next = argv[i + 1];
    if (!flag && arg.startsWith('--') && isSecretKey(arg.slice(2)) && next !== undefined) redactor.add(next);
  });
  return redactor;
}

/** The command line for run.json and the reports, as typed but with its secrets masked. */
export function recordedCommandLine(argv: readonly string[], redactor: Redactor): string {
  return ['crt', ...argv].map((arg) => redactor.text(arg)).join(' ');
}
