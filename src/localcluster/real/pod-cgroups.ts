import { readFileSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { EnvironmentError } from '../../core/index.js';

/** Where nftables looks cgroup v2 paths up (`socket cgroupv2 ... "<path>"` is relative to it). */
const NFT_CGROUP_BASE = '/sys/fs/cgroup';

/** The cgroup v2 hierarchy as this process sees it: its mount point and the cgroup that mount shows as its root. */
export interface CgroupMount {
  mountPoint: string;
  /** the depth of the mount's root in the hierarchy (0: the hierarchy's root) */
  rootLevel: number;
}

/** The cgroup v2 mount under /sys/fs/cgroup (the whole of it on a unified system, `unified/` on a hybrid one). */
export function cgroup2Mount(mountinfo = readMountinfo()): CgroupMount | { why: string } {
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right || right.split(' ')[0] !== 'cgroup2') continue;
    const fields = left.split(' ');
    const root = fields[3] ?? '/';
    const mountPoint = fields[4] ?? '';
    if (mountPoint !== NFT_CGROUP_BASE && !mountPoint.startsWith(`${NFT_CGROUP_BASE}/`)) continue;
    return { mountPoint, rootLevel: root === '/' ? 0 : root.split('/').filter(Boolean).length };
  }
  return { why: `no cgroup v2 hierarchy mounted at or under ${NFT_CGROUP_BASE}` };
}

function readMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
}

/**
 * One cgroup per pod of a real-mode cluster (`<cgroup2>/crt-<fabric>/<pod IP>`), so that the kernel
 * knows which pod a socket belongs to although the pods of a node share its network namespace: the
 * node's nftables rules mark and SNAT each pod's connections by it (nft-policy.ts). Only the
 * processes of pods go in; crt's own cgroup is left as it is.
 */
export class PodCgroups {
  readonly #dir: string;
  readonly #mount: CgroupMount;

  constructor(fabricId: string, mount: CgroupMount) {
    this.#mount = mount;
    this.#dir = path.join(mount.mountPoint, `crt-${fabricId}`);
  }

  static forFabric(fabricId: string): PodCgroups {
    const mount = cgroup2Mount();
    if ('why' in mount) {
      throw new EnvironmentError(`the real control plane enforces NetworkPolicy by pod cgroups, but there is ${mount.why}`, {
        hint: 'mount cgroup2 (Linux 4.5 and later; systemd does at /sys/fs/cgroup), or use --control-plane builtin',
      });
    }
    return new PodCgroups(fabricId, mount);
  }

  /** The folder of pod `ip`'s cgroup. */
  dirOf(ip: string): string {
    return path.join(this.#dir, ip.replace(/\./g, '-'));
  }

  /** The cgroup as an nftables rule names it, and its depth (`socket cgroupv2 level <n> "<path>"`). */
  nftPath(ip: string): { path: string; level: number } {
    return { path: path.relative(NFT_CGROUP_BASE, this.dirOf(ip)), level: this.#mount.rootLevel + 2 };
  }

  async create(ip: string): Promise<void> {
    await mkdir(this.dirOf(ip), { recursive: true });
  }

  /** Removes a pod's cgroup once its processes are gone (the kernel refuses while one is left: EBUSY). */
  async remove(ip: string): Promise<void> {
    await rmdir(this.dirOf(ip)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Removes the fabric's folder (after every pod's). */
  async close(): Promise<void> {
    await rmdir(this.#dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /**
   * The command that runs `command` (already wrapped into the node's namespace) inside pod `ip`'s cgroup:
   * a shell writes its own pid to cgroup.procs and execs it, so pid and process group stay the same.
   */
  wrap(ip: string, command: { file: string; args: string[] }): { file: string; args: string[] } {
    return { file: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', path.join(this.dirOf(ip), 'cgroup.procs'), command.file, ...command.args] };
  }
}
