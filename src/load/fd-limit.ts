import type { LoadSpec } from '../plan/index.js';
export { openFilesLimit } from '../core/index.js';

/** File descriptors crt itself keeps open while a load runs (log, sinks, journal, the engine's threads) besides the connections. */
export const CRT_OWN_FDS = 64;

/** Connections a load opens at once in this process: every generator thread holds its stage's connections. */
export function localConnections(load: LoadSpec): number {
  if (load.engine !== 'autocannon' || load.distributed) return 0;
  return Math.max(0, ...load.stages.map((s) => s.connections)) * load.generators;
}

/** What a generator says when connections failed for want of file descriptors here (EMFILE) or on the machine (ENFILE). */
export function fdExhaustedMessage(code: 'EMFILE' | 'ENFILE', failures: number, connections: number, limit: number | undefined): string {
  const where = code === 'EMFILE'
    ? `this process ran out of file descriptors (${limit !== undefined ? `limit ${limit}, ` : ''}ulimit -n)`
    : 'this machine ran out of file descriptors (ENFILE: fs.file-max)';
  const hint = code === 'EMFILE' ? 'raise ulimit -n (e.g. ulimit -n 65536) or lower connections' : 'raise fs.file-max or lower connections';
  return `${code}: ${failures} connection attempt${failures === 1 ? '' : 's'} failed because ${where} with ${connections} connections: ` +
    `failures of the load generator, not of the service — ${hint}`;
}
