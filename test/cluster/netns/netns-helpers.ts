import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { netnsSupport } from '../../../src/localcluster/netns/index.js';

const exec = promisify(execFile);

/**
 * Skips the suite where network namespaces cannot be had (not root, no iproute2), saying why; with
 * CRT_REQUIRE_KUBERNETES=1 (CI of the real-control-plane mode) that is a failure instead.
 */
export async function requireNetns(ctx: Mocha.Context): Promise<void> {
  const support = await netnsSupport();
  if (support.ok) return;
  if (process.env.CRT_REQUIRE_KUBERNETES === '1') throw new Error(`network namespaces are required (CRT_REQUIRE_KUBERNETES=1): ${support.why}`);
  // mocha's skip takes no message: say it here
  process.stdout.write(`      skipped: ${support.why}\n`);
  ctx.skip();
}

/** A fabric id no other test process uses at the same time (namespace names are machine-wide). */
export function fabricTestId(tag: string): string {
  return `t${tag}${process.pid}${randomBytes(2).toString('hex')}`;
}

/** What `ip -j link`/`ip -j addr` print of a device (the fields the tests read). */
export interface IpLink {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

export async function ipJson<T = IpLink>(args: string[]): Promise<T[]> {
  const { stdout } = await exec('ip', args);
  return stdout.trim() ? (JSON.parse(stdout) as T[]) : [];
}

/** The IPv4 addresses of a device as `address/prefix`. */
export function inet(link: IpLink | undefined): string[] {
  return (link?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

export async function namespaceNames(): Promise<string[]> {
  return (await ipJson<{ name: string }>(['-j', 'netns', 'list'])).map((n) => n.name);
}

/** Every address of 198.18.0.0/15 the root namespace holds (`ip -j addr`), as `dev address/len`. */
export async function rootFabricAddresses(): Promise<string[]> {
  const links = await ipJson(['-j', 'addr', 'show']);
  return links.flatMap((l) => inet(l).filter((a) => /^198\.1[89]\./.test(a)).map((a) => `${l.ifname} ${a}`));
}

/** Pids of the processes in namespace `ns` (`ip netns pids`). */
export async function namespacePids(ns: string): Promise<number[]> {
  const { stdout } = await exec('ip', ['netns', 'pids', ns]);
  return stdout.split(/\s+/).filter(Boolean).map(Number);
}
