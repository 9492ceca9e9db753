/**
 * One JSON line per lifecycle event, so a test or `kubectl logs | jq` can follow a pod through
 * started → ready → terminating → drained without parsing prose.
 */
export type EventLog = (event: string, fields?: Record<string, unknown>) => void;

export interface EventLogOptions {
  role: string;
  pod: string;
  version: string;
  /** where lines go; stdout for events, stderr for failures (the caller chooses) */
  write?: (line: string) => void;
}

export function eventLog(o: EventLogOptions): EventLog {
  const write = o.write ?? ((line: string) => void process.stdout.write(line));
  return (event, fields = {}) => {
    const line = { time: new Date().toISOString(), event, role: o.role, pod: o.pod, version: o.version, ...fields };
    write(`${JSON.stringify(line)}\n`);
  };
}

/** The message of anything thrown, for a log field. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
