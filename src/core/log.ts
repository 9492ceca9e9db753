import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { REDACTED, Redactor } from './redact.js';

export type Logger = PinoLogger;

/** Fields that hold secrets wherever they are logged (pino's fast path redaction; it censors whole values). */
const SECRET_PATHS = ['password', 'token', 'authorization', 'headers.authorization', 'headers.cookie', 'headers["x-api-key"]'].flatMap((p) => [p, `*.${p}`]);

/**
 * A JSON logger writing to `destination` (the run folder's `crt.log`, or stderr for commands without a
 * run folder). Secrets never reach it: fields named like secrets are censored by pino's `redact`, and
 * every line passes through `redactor` on its way out, which masks the run's known secret values (a
 * token substituted into a header may be logged in an error message) and the user info of any URL. One
 * precompiled pattern over the serialized line is cheaper than walking every logged object.
 */
export function createLogger(destination: DestinationStream, level = 'info', redactor = new Redactor()): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: SECRET_PATHS, censor: REDACTED },
    },
    redactor.stream(destination),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
