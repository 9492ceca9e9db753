// The demo store's backup → destroy → restore → verify drill, one step per run:
//   node demo/store-drill.mjs <backup|destroy|restore|verify>
// run by crt as an `exec` step or a `command` probe (KUBECONFIG is the run's kubeconfig; CRT_RUN_ID
// and CRT_CASE_ID name the run), or by hand against any cluster running deploy/demo/demo.yaml.
// It finds the store's primary through the Kubernetes API (a Ready pod labelled app=store that is not
// a ROLE=replica copy) and talks to it on its pod IP, port `http` — no kubectl, no port-forward; on the
// embedded cluster's builtin control plane the pod gates let this machine in. Where this machine has no
// route to pod IPs (the real control plane's pods live in network namespaces; most real clusters), it
// goes through the API server's pod proxy (pods/proxy, as `kubectl get --raw` would).
//   backup   writes 10 marker keys (drill/1..10) and 3 votes, then saves GET /admin/snapshot to
//            <backups>/store-<time>.json
//   destroy  wipes every key and vote (DELETE /admin/data) and notes the time in <backups>/destroyed-at.json
//   restore  waits up to RESTORE_WAIT_S (30) for a Ready store, then PUTs the newest backup to /admin/snapshot
//   verify   reads every key and vote of the newest backup back from the store and compares
// <backups> is BACKUP_DIR, else `backups/` next to the kubeconfig (reports/<run>/backups in a crt run).
// Also: STORE_NAMESPACE (demo), STORE_SELECTOR (app=store). Exit 0 done, 1 failed (with the reason),
// 2 usage; one line on stdout either way, since crt shows a command's last line.
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';
import https from 'node:https';
import { isDeepStrictEqual } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const NAMESPACE = process.env.STORE_NAMESPACE || 'demo';
const SELECTOR = process.env.STORE_SELECTOR || 'app=store';
const RESTORE_WAIT_S = Number(process.env.RESTORE_WAIT_S || 30);
const KUBECONFIG = (process.env.KUBECONFIG || '').split(path.delimiter)[0];
const BACKUP_DIR = process.env.BACKUP_DIR || path.join(KUBECONFIG ? path.dirname(KUBECONFIG) : '.', 'backups');
const DESTROYED_AT = path.join(BACKUP_DIR, 'destroyed-at.json');
const MARKERS = 10;
const MARKER_VOTES = 3;
const REQUEST_TIMEOUT_MS = 10_000;
/** no route from this machine to pod IPs: every later request goes through the API server's pod proxy */
let viaProxy = false;
const NO_ROUTE = new Set(['ENETUNREACH', 'EHOSTUNREACH']);

class DrillError extends Error {}

const commands = { backup, destroy, restore, verify };

const command = process.argv[2];
if (!Object.hasOwn(commands, command ?? '') || process.argv.length > 3) {
  console.log(`usage: node store-drill.mjs <${Object.keys(commands).join('|')}>`);
  process.exit(2);
}
try {
  console.log(await commands[command]());
} catch (err) {
  console.log(`${command} failed: ${err instanceof DrillError ? err.message : err?.stack ?? err}`);
  process.exit(1);
}

async function backup() {
  const store = await findStore();
  const run = process.env.CRT_RUN_ID || 'manual';
  for (let n = 1; n <= MARKERS; n++) {
    await call(store, 'PUT', `/kv/${encodeURIComponent(`drill/${n}`)}`, { n, run, case: process.env.CRT_CASE_ID ?? null, at: new Date().toISOString() }, [200, 201]);
  }
  for (let i = 0; i < MARKER_VOTES; i++) await call(store, 'POST', '/votes', { option: 'drill' }, [201]);
  const snapshot = await call(store, 'GET', '/admin/snapshot');
  await mkdir(BACKUP_DIR, { recursive: true });
  const file = path.join(BACKUP_DIR, `store-${snapshot.savedAt.replace(/[:.]/g, '-')}.json`);
  // whole or absent: a restore must never pick up half a file
  await writeFile(`${file}.tmp`, JSON.stringify(snapshot));
  await rename(`${file}.tmp`, file);
  const { keys, votes } = counts(snapshot);
  return `backup ${file}: ${keys} keys, ${votes} votes from ${store.name} (${MARKERS} drill keys and ${MARKER_VOTES} votes written first)`;
}

async function destroy() {
  const store = await findStore();
  const { wiped } = await call(store, 'DELETE', '/admin/data');
  await mkdir(BACKUP_DIR, { recursive: true });
  await writeFile(DESTROYED_AT, JSON.stringify({ at: new Date().toISOString(), pod: store.name, wiped }));
  return `destroyed the data of ${store.name}: ${wiped.keys} keys, ${wiped.votes} votes wiped`;
}

async function restore() {
  const started = performance.now();
  const { file, snapshot } = await newestBackup();
  const store = await waitForStore(RESTORE_WAIT_S * 1000);
  const waitedS = (performance.now() - started) / 1000;
  const restored = await call(store, 'PUT', '/admin/snapshot', snapshot);
  const tookS = (performance.now() - started) / 1000;
  return `restored ${path.basename(file)} to ${store.name} in ${tookS.toFixed(2)} s (${waitedS.toFixed(2)} s of it waiting for a Ready store): ${restored.keys} keys, ${restored.votes} votes`;
}

async function verify() {
  const { file, snapshot } = await newestBackup();
  const store = await findStore();
  const differences = [];
  const keys = Object.keys(snapshot.kv);
  // a few requests at a time: 1000 keys in about a second without piling up on the store
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      const answer = await request(store, 'GET', `/kv/${encodeURIComponent(key)}`);
      if (answer.status === 404) differences.push(`${key}: missing`);
      else if (answer.status !== 200) differences.push(`${key}: answered ${answer.status}`);
      else if (!isDeepStrictEqual(answer.body, snapshot.kv[key])) differences.push(`${key}: ${short(answer.body)} instead of ${short(snapshot.kv[key])}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  differences.sort(); // in key order, whichever request came back first
  const { options } = await call(store, 'GET', '/votes');
  for (const [option, count] of Object.entries(snapshot.votes)) {
    if (options[option] !== count) differences.push(`votes ${option}: ${options[option] ?? 0} instead of ${count}`);
  }
  const { votes } = counts(snapshot);
  if (differences.length > 0) {
    throw new DrillError(`${differences.length} differences between ${store.name} and ${path.basename(file)} (${keys.length} keys, ${votes} votes), first: ${differences.slice(0, 3).join('; ')}`);
  }
  const destroyed = await readFile(DESTROYED_AT, 'utf8').then(JSON.parse, () => undefined);
  const cycle = destroyed ? `cycle ${((Date.now() - Date.parse(destroyed.at)) / 1000).toFixed(1)} s since destroy` : 'no destroy recorded';
  return `verified ${keys.length} keys, ${votes} votes; ${cycle}`;
}

/** The newest backup in BACKUP_DIR (names sort by time), parsed. */
async function newestBackup() {
  const names = await readdir(BACKUP_DIR).catch((err) => {
    throw new DrillError(`cannot read ${BACKUP_DIR}: ${err.message} (run \`backup\` first, or set BACKUP_DIR)`);
  });
  const newest = names.filter((n) => /^store-.*\.json$/.test(n)).sort().pop();
  if (!newest) throw new DrillError(`no store-*.json backup in ${BACKUP_DIR} (run \`backup\` first)`);
  const file = path.join(BACKUP_DIR, newest);
  return { file, snapshot: JSON.parse(await readFile(file, 'utf8')) };
}

/** The store's primary pod: Ready, not terminating, not a replica; the newest if a rollout runs two. */
async function findStore() {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const core = kc.makeApiClient(CoreV1Api);
  let items;
  try {
    ({ items } = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: SELECTOR }));
  } catch (err) {
    throw new DrillError(`cannot list pods ${SELECTOR} in ${NAMESPACE} (KUBECONFIG=${KUBECONFIG || 'default'}): ${err.message}`);
  }
  const ready = items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .filter((p) => !p.spec?.containers?.some((c) => c.env?.some((e) => e.name === 'ROLE' && e.value === 'replica')))
    .sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')));
  const pod = ready[0];
  if (!pod) throw new DrillError(`no Ready store pod (${SELECTOR}, not ROLE=replica) in namespace ${NAMESPACE}`);
  const port = pod.spec.containers[0]?.ports?.find((p) => p.name === 'http')?.containerPort ?? 8080;
  const server = kc.getCurrentCluster()?.server ?? '';
  const proxy = `${server}/api/v1/namespaces/${NAMESPACE}/pods/${pod.metadata.name}:${port}/proxy`;
  return { name: pod.metadata.name, url: `http://${pod.status.podIP}:${port}`, proxy, kc };
}

/** One request through the API server's pod proxy, with the kubeconfig's credentials. */
async function proxied(store, method, urlPath, body) {
  const url = new URL(`${store.proxy}${urlPath}`);
  const opts = { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, timeout: REQUEST_TIMEOUT_MS };
  await store.kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, opts, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function waitForStore(timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await findStore();
    } catch (err) {
      if (!(err instanceof DrillError) || performance.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

/** A request whose answer must have one of `expect` statuses; the parsed body. */
async function call(store, method, urlPath, body, expect = [200]) {
  const answer = await request(store, method, urlPath, body);
  if (!expect.includes(answer.status)) throw new DrillError(`${method} ${urlPath} on ${store.name} answered ${answer.status}: ${short(answer.body)}`);
  return answer.body;
}

async function request(store, method, urlPath, body) {
  let status;
  let text;
  // requests run side by side: the first that finds no route switches them all to the proxy
  const direct = !viaProxy;
  try {
    if (!direct) ({ status, text } = await proxied(store, method, urlPath, body));
    else {
      const res = await fetch(`${store.url}${urlPath}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = res.status;
      text = await res.text();
    }
  } catch (err) {
    if (direct && NO_ROUTE.has(err.cause?.code)) {
      viaProxy = true;
      return request(store, method, urlPath, body);
    }
    const where = !direct ? `through the API server's pod proxy (${store.proxy})` : `(${store.url})`;
    throw new DrillError(`${method} ${urlPath} on ${store.name} ${where}: ${err.cause?.message ?? err.message}`);
  }
  try {
    return { status, body: text ? JSON.parse(text) : undefined };
  } catch {
    throw new DrillError(`${method} ${urlPath} on ${store.name} answered ${status} with something other than JSON: ${text.slice(0, 80)}`);
  }
}

function counts(snapshot) {
  return { keys: Object.keys(snapshot.kv).length, votes: Object.values(snapshot.votes).reduce((a, b) => a + b, 0) };
}

function short(value) {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
