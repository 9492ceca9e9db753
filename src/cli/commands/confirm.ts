import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CrtError, EnvironmentError, errorMessage, ExitCode, UsageError, type ExitCodeValue } from '../../core/index.js';
import { checkRunId } from '../../results/index.js';
import { confirmStep } from '../../runner/index.js';
import type { CliIO } from '../io.js';

/** `crt confirm <run-id> <step>`: tells a running `crt run` that a person did its manual step. */
export async function confirmCommand(runId: string, step: string, flags: { case?: string; out: string }, io: CliIO): Promise<ExitCodeValue> {
  // the run id names a folder under --out: `../x` must not reach outside it
  checkRunId(runId, 'run id');
  const dir = path.resolve(flags.out, runId);
  if (!existsSync(dir)) throw new UsageError(`no run folder ${dir}`, { hint: 'give the run id crt run printed (its folder name), and --out when it is not under reports/' });
  const by = `${os.userInfo().username}@${os.hostname()}`;
  try {
    const caseId = await confirmStep(dir, step, flags.case, by);
    io.stderr.write(`confirmed ${caseId}/${step} of run ${runId}\n`);
    return ExitCode.passed;
  } catch (err) {
    // the run folder cannot be read or written (EACCES, EROFS, ENOSPC…): the environment's, not a usage error;
    // nothing waiting is confirmStep's UsageError; anything else is a bug, reported as one
    if (!(err instanceof CrtError) && typeof (err as NodeJS.ErrnoException).code === 'string') {
      throw new EnvironmentError(`cannot confirm ${step} of run ${runId} in ${dir}: ${errorMessage(err)}`, { hint: 'crt confirm writes the confirmation into the run folder: run it as a user who can write there' });
    }
    throw err;
  }
}
