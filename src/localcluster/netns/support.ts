import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { runIp } from './ip.js';
import { RECORD_DIR } from './owner-record.js';

export type NetnsSupport = { ok: true } | { ok: false; why: string };

/**
 * Whether this machine lets crt build a namespace fabric: Linux, root, iproute2, and a namespace in
 * which a bridge and a veth pair can be made (tried for real, then removed). The reason says what is
 * missing, for a caller that falls back to the builtin control plane.
 */
export async function netnsSupport(): Promise<NetnsSupport> {
  if (process.platform !== 'linux') return { ok: false, why: `network namespaces are a Linux feature (this is ${process.platform})` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, why: `creating network namespaces needs root (crt runs as uid ${uid})` };
  const version = await runIp(['-V']);
  if (version.error?.code === 'ENOENT') return { ok: false, why: 'the ip command (iproute2) is not installed' };
  try {
    await mkdir(RECORD_DIR, { recursive: true });
  } catch (err) {
    return { ok: false, why: `cannot write ${RECORD_DIR}: ${(err as Error).message}` };
  }
  // not a fabric name (no -hub/-n<i> suffix): a probe is never taken for a leftover fabric
  const name = `crt-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  const add = await runIp(['netns', 'add', name]);
  if (add.code !== 0) return { ok: false, why: `cannot create a network namespace: ${add.stderr.trim()}` };
  try {
    const batch = await runIp(['-n', name, '-batch', '-'], 'link add b0 type bridge\nlink add v0 type veth peer name v1\nlink set v0 master b0\n');
    if (batch.code !== 0) return { ok: false, why: `cannot create a bridge and a veth pair in a network namespace: ${batch.stderr.trim()}` };
    return { ok: true };
  } finally {
    await runIp(['netns', 'del', name]);
  }
}
