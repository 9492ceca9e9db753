import { readFile } from 'node:fs/promises';
import { listNamespaces } from './ip.js';
import { ownerGone, processView, readRecord, removeRecord, type ProcessView } from './owner-record.js';
import { parseNamespace } from './plan.js';
import { killNamespace } from './teardown.js';

const NETNS_DIR = '/run/netns';

/**
 * Names in /run/netns that are namespaces in this mount namespace. A name there that is a plain file
 * is the mount point of another mount namespace (a test under `unshare --mount`), live or dead: we can
 * neither enter nor tell it, and unlinking it would unmount it over there, so it is never ours to touch.
 */
async function mountedNamespaces(): Promise<Set<string>> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const names = new Set<string>();
  for (const line of info.split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint?.startsWith(`${NETNS_DIR}/`)) names.add(mountPoint.slice(NETNS_DIR.length + 1));
  }
  return names;
}

/**
 * The namespaces of fabrics whose owner process is gone (a crt killed before its close()): those
 * without an owner record, and those whose recorded owner no longer runs. A namespace whose owner
 * cannot be told for sure (see ownerGone) is not listed.
 */
export async function leftoverNamespaces(view: ProcessView = processView()): Promise<string[]> {
  const mounted = await mountedNamespaces();
  const ours = (await listNamespaces()).filter((n) => mounted.has(n) && parseNamespace(n));
  const gone = new Map<string, boolean>();
  const leftovers: string[] = [];
  for (const name of ours) {
    const id = parseNamespace(name)!.id;
    if (!gone.has(id)) {
      const record = await readRecord(id);
      gone.set(id, record === undefined || ownerGone(record, view));
    }
    if (gone.get(id)) leftovers.push(name);
  }
  return leftovers.sort();
}

/** Removes every leftover namespace (its processes, devices and owner record). Returns the names removed. */
export async function removeLeftovers(): Promise<string[]> {
  const names = await leftoverNamespaces();
  // nodes first, then hubs: a node's veth peer is a port of its hub's bridge
  const ordered = [...names.filter((n) => parseNamespace(n)?.node !== undefined), ...names.filter((n) => parseNamespace(n)?.node === undefined)];
  for (const name of ordered) await killNamespace(name);
  const left = new Set((await listNamespaces()).map((n) => parseNamespace(n)?.id));
  for (const id of new Set(names.map((n) => parseNamespace(n)!.id))) if (!left.has(id)) await removeRecord(id);
  return names;
}
