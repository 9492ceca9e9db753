import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { createLogger, EnvironmentError, ExitCode, UsageError, type ExitCodeValue } from '../../core/index.js';
import { isNodeReady, kubeClients, serviceUrl } from '../../kube/index.js';
import { demoManifestPath, embeddedCluster, installKubernetes, killLeftovers, type ControlPlaneChoice } from '../../localcluster/index.js';
import { defaultControlPlane } from '../../vocabulary/index.js';
import type { CliIO } from '../io.js';
import { alive, clearState, readState, statePaths, writeState } from './cluster-state.js';
import { stopOrphans } from './orphans.js';

export interface ClusterUpFlags {
  nodes: number;
  demo: boolean;
  detach: boolean;
  dir: string;
  port: number;
  logLevel: string;
  /** Node-loss timings in ms (seconds for the toleration); the cluster's defaults when absent. */
  heartbeat?: number;
  nodeMonitorGracePeriod?: number;
  nodeMonitorPeriod?: number;
  defaultTolerationSeconds?: number;
  /** builtin (default), kubernetes or auto */
  controlPlane?: ControlPlaneChoice;
}

/** `crt cluster up`: runs the embedded cluster in the foreground until SIGINT/SIGTERM, or detached. */
export async function clusterUp(flags: ClusterUpFlags, io: CliIO, argv: readonly string[]): Promise<ExitCodeValue> {
  const paths = statePaths(flags.dir);
  const running = await readState(flags.dir);
  if (running && alive(running.pid)) {
    throw new EnvironmentError(`an embedded cluster is already running from ${flags.dir} (pid ${running.pid}, API ${running.url})`, { hint: 'crt cluster down stops it; --dir runs another one elsewhere' });
  }
  await mkdir(path.dirname(paths.state), { recursive: true });
  if (flags.detach) return detach(flags, io, argv);
  stopOrphans(io);
  const log = createLogger(pino.destination({ dest: paths.log, sync: false, mkdir: true }), flags.logLevel);
  const cluster = await embeddedCluster({
    controlPlane: flags.controlPlane ?? defaultControlPlane(),
    nodes: flags.nodes, stateDir: paths.stateDir, port: flags.port, log,
    ...(flags.heartbeat !== undefined ? { heartbeatMs: flags.heartbeat } : {}),
    ...(flags.nodeMonitorGracePeriod !== undefined ? { nodeMonitorGracePeriodMs: flags.nodeMonitorGracePeriod } : {}),
    ...(flags.nodeMonitorPeriod !== undefined ? { nodeMonitorPeriodMs: flags.nodeMonitorPeriod } : {}),
    ...(flags.defaultTolerationSeconds !== undefined ? { defaultTolerationSeconds: flags.defaultTolerationSeconds } : {}),
    onProgress: (line) => io.stderr.write(`${line}\n`),
  });
  io.stderr.write(`control plane: ${cluster.controlPlaneNote}\n`);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const url = await cluster.start();
    await cluster.writeKubeconfig(paths.kubeconfig);
    if (flags.demo) {
      io.stderr.write('applying the demo (gateway → customer-service → store) and waiting for it…\n');
      await cluster.applyFiles([demoManifestPath]);
      await cluster.waitUntilAvailable({ namespaces: ['demo'], timeoutMs: 120_000, signal: stop.signal });
    }
    await writeState(flags.dir, {
      pid: process.pid, url, nodes: flags.nodes, stateDir: paths.stateDir, kubeconfig: paths.kubeconfig, startedAt: new Date().toISOString(), demo: flags.demo,
      controlPlane: cluster.controlPlane, controlPlaneNote: cluster.controlPlaneNote, switchBase: cluster.switchBase,
    });
    const gateway = flags.demo ? await cluster.serviceAddress('demo', 'gateway') : undefined;
    io.stdout.write(usage(url, flags, paths.kubeconfig, gateway?.nodePort));
    if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
    io.stderr.write('stopping the embedded cluster and its pods…\n');
    return ExitCode.passed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cluster.stop();
    killLeftovers(paths.stateDir);
    await clearState(flags.dir, process.pid);
    log.flush();
  }
}

function usage(url: string, flags: ClusterUpFlags, kubeconfig: string, gatewayPort: number | undefined): string {
  const rel = path.relative(process.cwd(), kubeconfig) || kubeconfig;
  return [
    `embedded cluster up: ${flags.nodes} node${flags.nodes === 1 ? '' : 's'}, API ${url}`,
    `  kubeconfig   ${rel}`,
    `  try          kubectl --kubeconfig ${rel} get nodes,pods,deploy,svc -A`,
    `  or           export KUBECONFIG=${kubeconfig}`,
    ...(gatewayPort ? [`  demo         curl -i http://127.0.0.1:${gatewayPort}/customers/42   (crt cluster url demo/gateway)`] : []),
    flags.detach ? `  stop with    crt cluster down${flags.dir === '.crt' ? '' : ` --dir ${flags.dir}`}` : '  Ctrl-C stops the cluster and every pod.',
    '',
  ].join('\n');
}

/** Starts `crt cluster up` again without --detach as a background process and waits until it is ready. */
async function detach(flags: ClusterUpFlags, io: CliIO, argv: readonly string[]): Promise<ExitCodeValue> {
  const paths = statePaths(flags.dir);
  const out = openSync(paths.log.replace(/\.log$/, '.out'), 'w');
  const args = argv.filter((a) => a !== '--detach' && a !== '-d');
  const child = spawn(process.execPath, [process.argv[1]!, ...args], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const state = await readState(flags.dir);
    if (state && state.pid === child.pid) {
      io.stdout.write(usage(state.url, flags, paths.kubeconfig, state.demo ? 30080 : undefined));
      io.stdout.write(`  pid          ${child.pid} (log ${path.relative(process.cwd(), paths.log)})\n`);
      return ExitCode.passed;
    }
    if (child.exitCode !== null || !alive(child.pid!)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = readFileSync(paths.log.replace(/\.log$/, '.out'), 'utf8').split('\n').slice(-15).join('\n');
  throw new EnvironmentError(`the detached cluster did not come up:\n${tail}`, { hint: `see ${paths.log}` });
}

/** `crt cluster down`: stops a cluster started from this folder and checks no pod process is left. */
export async function clusterDown(flags: { dir: string }, io: CliIO): Promise<ExitCodeValue> {
  const paths = statePaths(flags.dir);
  const state = await readState(flags.dir);
  const pid = state?.pid;
  if (pid !== undefined && alive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  const killed = killLeftovers(paths.stateDir);
  await clearState(flags.dir, state?.pid ?? -1);
  // pods of other clusters whose crt was killed (a cluster.local run under reports/, another --dir) go too
  const orphans = stopOrphans(io);
  if (state) io.stderr.write(`embedded cluster stopped (pid ${state.pid})\n`);
  else if (orphans === 0) io.stderr.write(`no embedded cluster was running from ${flags.dir}\n`);
  if (killed.length) io.stderr.write(`killed ${killed.length} pod process(es) left behind: ${killed.join(', ')}\n`);
  return ExitCode.passed;
}

/** `crt cluster status`: nodes, pods and deployments of the running cluster, through the API. */
export async function clusterStatus(flags: { dir: string }, io: CliIO): Promise<ExitCodeValue> {
  const state = await readState(flags.dir);
  if (!state || !alive(state.pid)) {
    io.stdout.write(`embedded cluster: not running (from ${flags.dir})\n`);
    return ExitCode.environment;
  }
  const k = kubeClients({ kubeconfig: state.kubeconfig });
  const [nodes, pods, deploys] = await Promise.all([k.core.listNode(), k.core.listPodForAllNamespaces(), k.apps.listDeploymentForAllNamespaces()]);
  const ready = nodes.items.filter(isNodeReady).length;
  const running = pods.items.filter((p) => p.status?.phase === 'Running').length;
  io.stdout.write(`embedded cluster: running (pid ${state.pid}, API ${state.url}, since ${state.startedAt})\n`);
  io.stdout.write(`  control plane ${state.controlPlaneNote ?? 'builtin control plane'}\n`);
  io.stdout.write(`  kubeconfig   ${state.kubeconfig}\n  nodes        ${ready}/${nodes.items.length} Ready\n  pods         ${running}/${pods.items.length} Running\n`);
  for (const d of deploys.items) {
    io.stdout.write(`  deployment   ${d.metadata?.namespace}/${d.metadata?.name} ${d.status?.availableReplicas ?? 0}/${d.spec?.replicas ?? 0} available\n`);
  }
  return ExitCode.passed;
}

/** `crt cluster url <ns/name[:port]>`: the URL at which this machine reaches a Service. */
export async function clusterUrl(service: string, flags: { dir: string; kubeconfig?: string }, io: CliIO): Promise<ExitCodeValue> {
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+)(?::([a-z0-9-]+))?$/.exec(service);
  if (!m) throw new UsageError(`not a service reference: ${service}`, { hint: 'namespace/name or namespace/name:port, e.g. demo/gateway' });
  const state = await readState(flags.dir);
  const kubeconfig = flags.kubeconfig ?? (state && alive(state.pid) ? state.kubeconfig : undefined);
  if (!kubeconfig) throw new EnvironmentError(`no embedded cluster is running from ${flags.dir}`, { hint: 'crt cluster up --demo, or give --kubeconfig' });
  io.stdout.write(`${await serviceUrl(kubeClients({ kubeconfig }), m[1]!, m[2]!, m[3])}\n`);
  return ExitCode.passed;
}

export type NodeSwitchState = 'off' | 'on' | 'link-down' | 'link-up';

/**
 * `crt cluster node <name> off|on|link-down|link-up`: cuts or restores a node's power, or its network
 * link, through the cluster's admin endpoints.
 */
export async function clusterNode(name: string, state: NodeSwitchState, flags: { dir: string }, io: CliIO): Promise<ExitCodeValue> {
  const running = await readState(flags.dir);
  if (!running || !alive(running.pid)) throw new EnvironmentError(`no embedded cluster is running from ${flags.dir}`, { hint: 'crt cluster up --detach starts one' });
  const link = state === 'link-down' || state === 'link-up';
  const [what, value] = link ? ['link', state.slice('link-'.length)] : ['power', state];
  const res = await fetch(`${running.switchBase ?? running.url}/crt/v1/nodes/${encodeURIComponent(name)}/${what}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: value }),
  });
  const body = await res.json() as { state?: string; killedPids?: number[]; cutConnections?: number; message?: string };
  if (res.status === 404) throw new UsageError(`the embedded cluster has no node ${name}`, { hint: `nodes are node-1 … node-${running.nodes}` });
  if (!res.ok) throw new EnvironmentError(`the cluster refused to ${link ? `take the link of ${name} ${value}` : `power ${name} ${value}`}: ${body.message ?? res.status}`);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
  const killed = body.killedPids ? ` (${plural(body.killedPids.length, 'pod process')} killed)` : '';
  const cut = body.cutConnections !== undefined ? ` (${plural(body.cutConnections, 'connection')} reset)` : '';
  io.stdout.write(`node ${name}: ${what} ${body.state}${killed}${cut}\n`);
  return ExitCode.passed;
}

export interface ClusterInstallFlags {
  kubernetesVersion?: string;
  from?: string;
  mirror?: string;
  download: boolean;
}

/**
 * `crt cluster install`: puts the programs of one Kubernetes release in the cache (see
 * docs/embedded-cluster/real-control-plane.md, "Real Kubernetes binaries"); the bin folder goes to stdout, to be put first on PATH, progress to stderr.
 */
export async function clusterInstall(flags: ClusterInstallFlags, io: CliIO): Promise<ExitCodeValue> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await installKubernetes({
      ...(flags.kubernetesVersion ? { kubernetesVersion: flags.kubernetesVersion } : {}),
      ...(flags.from ? { from: flags.from } : {}),
      ...(flags.mirror ? { mirror: flags.mirror } : {}),
      download: flags.download,
      onProgress: (line) => io.stderr.write(`${line}\n`),
      signal: stop.signal,
    });
    const how = { cache: 'cached', from: 'copied from --from', 'kubebuilder-assets': 'copied from KUBEBUILDER_ASSETS', download: 'downloaded and verified', build: 'built from source' }[result.source];
    io.stderr.write(`Kubernetes v${result.kubernetesVersion} (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd): ${how}, in ${result.bin}\n`);
    io.stdout.write(`${result.bin}\n`);
    return ExitCode.passed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
