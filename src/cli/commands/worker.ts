import { EnvironmentError, ExitCode, UsageError, type Logger } from '../../core/index.js';
import { WORKER_CONFIG_ENV, runLoadWorker, type WorkerConfig } from '../../load/index.js';
import type { CliIO } from '../io.js';

/**
 * `crt worker`: a load worker of a distributed load, started by crt in an Indexed Job (its
 * configuration in CRT_WORKER, its index in JOB_COMPLETION_INDEX). Writes JSON lines to stdout;
 * SIGTERM or SIGINT stops the load and writes the samples so far.
 */
export async function workerCommand(io: CliIO, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const raw = env[WORKER_CONFIG_ENV];
  if (!raw) throw new UsageError(`crt worker needs its configuration in ${WORKER_CONFIG_ENV}`, { hint: 'crt worker is started by crt run for a load with distributed:, not by hand' });
  let config: WorkerConfig;
  try {
    config = JSON.parse(raw) as WorkerConfig;
  } catch (err) {
    throw new UsageError(`${WORKER_CONFIG_ENV} is not JSON: ${(err as Error).message}`);
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await runLoadWorker(config, log, controller.signal, (line) => io.stdout.write(`${line}\n`));
  } catch (err) {
    throw new EnvironmentError(`the load worker failed: ${(err as Error).message}`, { cause: err });
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
  return ExitCode.passed;
}
