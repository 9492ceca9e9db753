import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { CrtError, PlanError, formatProblem } from '../core/errors.js';
import { ExitCode, exitCodeDescriptions } from '../core/exit-codes.js';
import { createLogger } from '../core/log.js';
import { crtVersion } from '../core/version.js';
import type { RunFlags } from './commands/run.js';
import type { CliIO } from './io.js';

// Commands are imported when used: `crt validate` need not load the runner, engines and reporters.

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function buildProgram(io: CliIO, argv: readonly string[], setCode: (code: number) => void): Command {
  const program = new Command('crt')
    .description('Load testing and chaos validation for services on Kubernetes: runs a CRT (acceptance test book) and writes its report.')
    .version(crtVersion)
    .showHelpAfterError('(run crt --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText('after', `\nExit codes:\n${exitCodeDescriptions.map(([c, d]) => `  ${String(c).padStart(3)}  ${d}`).join('\n')}\n`);

  program
    .command('validate')
    .description('check plans: every problem with file:line:col and a hint (exit 2), or a summary of each valid plan')
    .argument('<plan...>', 'plan files (YAML)')
    .action(async (files: string[]) => {
      const { validateCommand } = await import('./commands/validate.js');
      setCode(validateCommand(files, io));
    });

  program
    .command('run')
    .description('run the cases of a plan and write the run folder (run.json, time series, reports)')
    .argument('<plan>', 'plan file (YAML)')
    .option('--only <ids>', 'run only these case ids (comma-separated, repeatable)', list, [])
    .option('--tags <tags>', 'run only cases with one of these tags', list, [])
    .option('--exclude-tags <tags>', 'leave out cases with one of these tags', list, [])
    .option('--layer <layers>', 'run only these layers: physical, logical, auxiliary', list, [])
    .option('--dry-run', 'print what would run; nothing is sent, nothing is changed', false)
    .option('--out <dir>', 'folder under which the run folder is created', 'reports')
    .option('--run-id <id>', 'name of the run folder (default: date-time-plan-random)')
    .addOption(new Option('--log-level <level>', 'level of crt.log in the run folder').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .option('--progress-every <seconds>', 'progress line interval when stderr is not a terminal', positiveInt, 5)
    .action(async (file: string, flags: RunFlags) => {
      const { runCommand } = await import('./commands/run.js');
      setCode(await runCommand(file, flags, io, argv.slice(2)));
    });

  program
    .command('report')
    .description('render the reports of a run folder again, from run.json and timeseries.jsonl')
    .argument('<run-folder>', 'a folder written by crt run, e.g. reports/<run-id>')
    .action(async (dir: string) => {
      const { reportCommand } = await import('./commands/report.js');
      setCode(await reportCommand(dir, io, createLogger(pino.destination(2), 'warn')));
    });

  return program;
}

/**
 * The `crt` program. The only place that maps errors to exit codes: a CrtError prints its
 * message and hint without a stack; anything else is a bug and prints the stack.
 */
export async function main(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let code: number = ExitCode.passed;
  const program = buildProgram(io, argv, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.passed : ExitCode.invalid;
    }
    if (err instanceof PlanError) {
      for (const p of err.problems) io.stderr.write(`${formatProblem(p)}\n`);
    }
    if (err instanceof CrtError) {
      io.stderr.write(`error: ${err.message}\n`);
      if (err.hint) io.stderr.write(`hint: ${err.hint}\n`);
      return err.exitCode;
    }
    io.stderr.write(`${(err as Error)?.stack ?? String(err)}\ninternal error in crt: please report it with the output above\n`);
    return ExitCode.internal;
  }
}
