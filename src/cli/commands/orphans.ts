import path from 'node:path';
import { stopOrphanedClusters } from '../../localcluster/index.js';
import type { CliIO } from '../io.js';

/**
 * Stops the pod processes of embedded clusters whose crt was killed (`kill -9` of a cluster.local
 * `crt run`, or of `crt cluster up`), naming each: run by `crt run` and `crt cluster up` before they
 * start a cluster, and by `crt cluster down`. Pods of a cluster whose crt still runs are never touched.
 * Returns how many processes were stopped.
 */
export function stopOrphans(io: CliIO): number {
  let count = 0;
  for (const o of stopOrphanedClusters()) {
    const dir = path.relative(process.cwd(), path.dirname(o.stateDir));
    const shown = dir === '' ? '.' : dir.startsWith('..') ? path.dirname(o.stateDir) : dir;
    io.stderr.write(`stopped ${o.pids.length} pod process${o.pids.length === 1 ? '' : 'es'} of the embedded cluster of ${shown}, left by a killed crt (pid ${o.ownerPid}): pids ${o.pids.join(', ')}\n`);
    count += o.pids.length;
  }
  return count;
}
