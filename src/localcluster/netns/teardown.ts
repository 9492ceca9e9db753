import { setTimeout as sleep } from 'node:timers/promises';
import { EnvironmentError } from '../../core/index.js';
import { ip, listNamespaces, namespacePids, runIp } from './ip.js';

/** How long the processes of a namespace may take to die after SIGKILL (a D-state process can lag). */
const killTimeoutMs = 5_000;

/**
 * Removes namespace `name` whole: SIGKILLs every process in it until none is left, deletes its
 * devices (a veth goes with its peer, the bridge with it), then the namespace. A socket of the
 * namespace that a process outside still holds keeps the namespace itself alive but without a
 * device, so nothing of its addresses is left. A namespace already gone is no error.
 */
export async function killNamespace(name: string): Promise<void> {
  if (!(await listNamespaces()).includes(name)) return;
  const deadline = Date.now() + killTimeoutMs;
  for (;;) {
    const pids = (await namespacePids(name)).filter((p) => p !== process.pid);
    if (pids.length === 0) break;
    if (Date.now() > deadline) throw new EnvironmentError(`processes ${pids.join(', ')} in network namespace ${name} outlived SIGKILL`);
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
    }
    await sleep(20);
  }
  const links = await runIp(['-n', name, '-j', 'link', 'show']);
  const devices = links.code === 0 && links.stdout.trim() ? (JSON.parse(links.stdout) as { ifname: string }[]).map((l) => l.ifname).filter((d) => d !== 'lo') : [];
  for (const device of devices) {
    // a veth whose peer went first is gone already
    const r = await runIp(['-n', name, 'link', 'del', device]);
    if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) throw new EnvironmentError(`ip -n ${name} link del ${device} failed: ${r.stderr.trim()}`);
  }
  await ip(['netns', 'del', name]);
}
