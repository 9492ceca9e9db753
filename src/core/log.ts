import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

/**
 * A JSON logger writing to `destination` (the run folder's `crt.log`, or stderr for
 * commands without a run folder). Secrets never reach it: callers log config through `redact`.
 */
export function createLogger(destination: DestinationStream, level = 'info'): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['*.password', '*.token', '*.headers.authorization', '*.headers.Authorization'], censor: '[redacted]' },
    },
    destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
