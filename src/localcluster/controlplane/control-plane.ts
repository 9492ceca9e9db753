import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { EnvironmentError, UsageError, errorMessage, silentLogger, systemClock, type Clock, type Logger } from '../../core/index.js';
import { CLUSTER_MARKER_ENV, CLUSTER_OWNER_ENV, ownerMark } from '../runtime/index.js';
import { defaultClusterCIDR, defaultServiceCIDR, httpsURL, parseCIDR } from './addresses.js';
import { bootstrapCluster } from './bootstrap.js';
import { ClusterPki } from './cluster-pki.js';
import {
  apiserverArgs, componentNames, controllerManagerArgs, etcdArgs, etcdMembers, healthURL, kubeconfigPath, schedulerArgs,
  type ComponentName, type Ports, type Settings,
} from './component-args.js';
import { ComponentProcess, logFile } from './component-process.js';
import { checkHealth, type TlsMaterial } from './health.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { controlPlaneLayout, type ControlPlaneLayout } from './layout.js';
import type { ControlPlaneEndpoint, ControlPlaneOptions } from './options.js';
import { freePorts } from './ports.js';

const stopGraceMs = 5000;
const pollMs = 200;
const bindAttempts = 3;

/**
 * The real Kubernetes control plane as child processes: etcd, kube-apiserver, kube-controller-manager
 * and kube-scheduler of the installed release, with a PKI of its own. Nodes are not its business:
 * nodeCredentials() hands a kubelet what it needs to join.
 */
export class ControlPlane {
  private readonly layout: ControlPlaneLayout;
  private readonly settings: Settings;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly progress: (line: string) => void;
  private readonly procs: ComponentProcess[] = [];
  /** the components found healthy: one of them exiting fails the start */
  private readonly healthy = new Set<ComponentProcess>();
  private readonly ports: Partial<Ports> = {};
  private readonly reached = new Map<string, Promise<string>>();
  /** how each process' health is checked (by id), for a restart after a control-plane fault */
  private readonly tlsOf = new Map<string, TlsMaterial | undefined>();
  private pki: ClusterPki | undefined;
  private endpoint: ControlPlaneEndpoint | undefined;
  private starting: Promise<ControlPlaneEndpoint> | undefined;
  private stopping: Promise<void> | undefined;
  /** stop() was called: a start() still running spawns nothing more */
  private stopRequested = false;

  constructor(private readonly opts: ControlPlaneOptions) {
    const bindHost = opts.bindHost ?? '127.0.0.1';
    if (!isIP(bindHost)) throw new UsageError(`bindHost: not an IP address: ${bindHost}`);
    const serviceCIDR = opts.serviceCIDR ?? defaultServiceCIDR;
    const clusterCIDR = opts.clusterCIDR ?? defaultClusterCIDR;
    parseCIDR(serviceCIDR, 'serviceCIDR');
    parseCIDR(clusterCIDR, 'clusterCIDR');
    this.layout = controlPlaneLayout(path.resolve(opts.stateDir));
    this.settings = {
      bindHost, serviceCIDR, clusterCIDR,
      nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs ?? 50_000,
      nodeMonitorPeriodMs: opts.nodeMonitorPeriodMs ?? 5000,
      defaultTolerationSeconds: opts.defaultTolerationSeconds ?? 300,
      hpaSyncPeriodMs: opts.hpaSyncPeriodMs ?? 15_000,
      ...(opts.etcdCompactionIntervalMs ? { etcdCompactionIntervalMs: opts.etcdCompactionIntervalMs } : {}),
      ...(opts.watchCache === false ? { watchCache: false } : {}),
      hpaDownscaleStabilizationMs: opts.hpaDownscaleStabilizationMs ?? 300_000,
    };
    this.log = (opts.log ?? silentLogger).child({ component: 'controlplane' });
    this.clock = opts.clock ?? systemClock;
    this.progress = opts.onProgress ?? (() => {});
  }

  /** Pids of the control-plane processes still running, in start order. */
  get pids(): number[] {
    return this.procs.filter((p) => p.running).map((p) => p.pid);
  }

  /**
   * Starts etcd, the API server, then the controller-manager and scheduler, each waited for until
   * healthy; resolves once all four are. Called once: a second call returns the same promise. On a
   * failure everything started is stopped before it rejects with an EnvironmentError.
   */
  start(): Promise<ControlPlaneEndpoint> {
    this.starting ??= this.run().catch(async (err: unknown) => {
      await this.halt();
      throw err;
    });
    return this.starting;
  }

  private async run(): Promise<ControlPlaneEndpoint> {
    const startedAt = this.clock.now();
    const deadline = startedAt + (this.opts.startTimeoutMs ?? 120_000);
    await this.checkBinaries();
    await mkdir(this.layout.logs, { recursive: true });
    await rm(this.layout.etcdData, { recursive: true, force: true });
    this.pki = await ClusterPki.create({
      dir: this.layout.pki, bindHost: this.settings.bindHost, extraSANs: this.opts.extraSANs ?? [],
      serviceCIDR: this.settings.serviceCIDR, validity: { now: new Date(this.clock.wallNow()) },
    });
    this.progress('control plane: certificates written');
    const pki = this.pki;
    const etcdTls = await this.clientTls('etcd-ca', 'apiserver-etcd-client');
    await this.launchEtcd(deadline, this.opts.wrap ? undefined : etcdTls);
    const admin = pki.clients.admin;
    await this.launch('kube-apiserver', ['apiserver'], deadline, { ca: pki.ca.certPem, cert: admin.certPem, key: admin.keyPem });
    const adminYaml = await this.writeKubeconfigs();
    await Promise.all([
      this.launch('kube-controller-manager', ['controllerManager'], deadline, { ca: pki.ca.certPem }),
      this.launch('kube-scheduler', ['scheduler'], deadline, { ca: pki.ca.certPem }),
    ]);
    try {
      await bootstrapCluster(adminYaml);
    } catch (err) {
      throw new EnvironmentError(`kube-apiserver refused the bootstrap objects: ${errorMessage(err)}`, { hint: `see ${logFile(this.layout.logs, 'kube-apiserver')}` });
    }
    this.progress(`control plane: ready in ${((this.clock.now() - startedAt) / 1000).toFixed(1)} s`);
    this.endpoint = { url: await this.publicUrl(), adminKubeconfig: kubeconfigPath(this.layout, 'admin'), caPem: pki.ca.certPem };
    return this.endpoint;
  }

  private async clientTls(caName: string, client: string): Promise<TlsMaterial> {
    const pki = this.pki!;
    const [ca, cert, key] = await Promise.all([readFile(pki.cert(caName), 'utf8'), readFile(pki.cert(client), 'utf8'), readFile(pki.key(client), 'utf8')]);
    return { ca, cert, key };
  }

  /** The API server's URL inside the namespace the programs run in (what the controller-manager and scheduler use). */
  private url(): string {
    return httpsURL(this.settings.bindHost, this.ports.apiserver!);
  }

  /** `host:port` of the programs' namespace as this process reaches it: itself, or what `opts.reach` gives. */
  private async reachable(host: string, port: number): Promise<string> {
    if (!this.opts.reach) return httpsURL(host, port);
    const key = `${host}:${port}`;
    let found = this.reached.get(key);
    if (!found) {
      found = this.opts.reach(host, port).then((r) => httpsURL(r.host, r.port));
      this.reached.set(key, found);
    }
    return found;
  }

  /** The API server's URL from this process. */
  private publicUrl(): Promise<string> {
    return this.reachable(this.settings.bindHost, this.ports.apiserver!);
  }

  private async checkBinaries(): Promise<void> {
    const missing: string[] = [];
    for (const name of componentNames) {
      try {
        await access(path.join(this.opts.binDir, name), constants.X_OK);
      } catch {
        missing.push(name);
      }
    }
    if (missing.length) {
      throw new EnvironmentError(`the real control plane needs ${missing.join(', ')} in ${this.opts.binDir}, which ${missing.length === 1 ? 'is' : 'are'} missing`, {
        hint: 'run `crt cluster install` to put the Kubernetes binaries in the cache',
      });
    }
  }

  /**
   * Starts one component on fresh ports and waits until its health check passes (`tls` undefined:
   * not checked from here; the next component's check covers it). A bind failure (another process
   * took a port between the pick and the bind) is retried on other ports.
   */
  private async launch(name: ComponentName, portNames: Array<Exclude<keyof Ports, 'etcdOthers'>>, deadline: number, tls: TlsMaterial | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const picked = await freePorts(this.settings.bindHost, portNames.length);
      portNames.forEach((p, i) => { this.ports[p] = picked[i]!; });
      const proc = await this.spawn(name);
      this.tlsOf.set(proc.id, tls);
      this.progress(`control plane: ${name} started (pid ${proc.pid})`);
      const failure = await this.waitHealthy(proc, tls, deadline);
      if (!failure) {
        this.healthy.add(proc);
        this.progress(`control plane: ${name} ${tls ? 'ready' : 'running (its health is checked through the next component)'}`);
        return;
      }
      if (this.stopRequested) throw new EnvironmentError(`the control plane was stopped while it started (at ${name})`);
      const lines = await failure.proc.logTail(15);
      if (failure.proc === proc && failure.exited && attempt < bindAttempts && lines.some((l) => l.includes('address already in use'))) {
        this.log.warn({ name, attempt }, 'a port was taken before the component bound it; retrying on other ports');
        this.procs.splice(this.procs.indexOf(proc), 1);
        if (name === 'etcd') await rm(this.layout.etcdData, { recursive: true, force: true });
        continue;
      }
      throw new EnvironmentError(`${failure.proc.id} ${failure.what}${lines.length ? `; the last lines of its log:\n    ${lines.join('\n    ')}` : ''}`, {
        hint: `see ${logFile(this.layout.logs, failure.proc.id)}${failure.exited ? '' : '; a slow or busy machine may need a longer startTimeoutMs'}`,
      });
    }
  }

  /** Starts etcd: one member (retried on other ports after a bind failure), or three at once (each waits for the others' quorum). */
  private async launchEtcd(deadline: number, tls: TlsMaterial | undefined): Promise<void> {
    if ((this.opts.etcdMembers ?? 1) === 1) return this.launch('etcd', ['etcdClient', 'etcdPeer'], deadline, tls);
    const picked = await freePorts(this.settings.bindHost, 6);
    Object.assign(this.ports, { etcdClient: picked[0]!, etcdPeer: picked[1]!, etcdOthers: [{ client: picked[2]!, peer: picked[3]! }, { client: picked[4]!, peer: picked[5]! }] });
    const procs: ComponentProcess[] = [];
    for (const member of etcdMembers(this.layout, this.ports as Ports)) {
      const proc = await this.spawn('etcd', member.id);
      this.tlsOf.set(member.id, tls);
      this.progress(`control plane: ${member.id} started (pid ${proc.pid})`);
      procs.push(proc);
    }
    for (const proc of procs) {
      const failure = await this.waitHealthy(proc, tls, deadline, proc.id);
      if (failure) {
        const lines = await failure.proc.logTail(15);
        throw new EnvironmentError(`${failure.proc.id} ${failure.what}${lines.length ? `; the last lines of its log:\n    ${lines.join('\n    ')}` : ''}`, { hint: `see ${logFile(this.layout.logs, failure.proc.id)}` });
      }
      this.healthy.add(proc);
    }
    this.progress('control plane: etcd running as 3 members');
  }

  private async spawn(name: ComponentName, id: string = name): Promise<ComponentProcess> {
    if (this.stopRequested) throw new EnvironmentError(`the control plane was stopped while it started (at ${name})`);
    const s = this.settings;
    const ports = this.ports as Ports;
    const pki = this.pki!;
    const members = name === 'etcd' ? etcdMembers(this.layout, ports) : [];
    const args = {
      'etcd': () => etcdArgs(pki, members.find((m) => m.id === id)!, members),
      'kube-apiserver': () => apiserverArgs(pki, this.layout, s, ports),
      'kube-controller-manager': () => controllerManagerArgs(pki, this.layout, s, ports),
      'kube-scheduler': () => schedulerArgs(pki, this.layout, s, ports),
    }[name]();
    const mark = ownerMark();
    const env = { [CLUSTER_MARKER_ENV]: path.resolve(this.opts.clusterDir ?? this.layout.stateDir), ...(mark ? { [CLUSTER_OWNER_ENV]: mark } : {}) };
    const file = path.join(this.opts.binDir, name);
    try {
      const proc = await ComponentProcess.start({ name, id, file, args, env, cwd: this.layout.stateDir, logFile: logFile(this.layout.logs, id), ...(this.opts.wrap ? { wrap: this.opts.wrap } : {}) });
      this.procs.push(proc);
      this.log.info({ name: id, pid: proc.pid, ports }, 'control-plane component started');
      return proc;
    } catch (err) {
      throw new EnvironmentError(`could not start ${id}: ${errorMessage(err)}`, { hint: 'run `crt cluster install` to put the Kubernetes binaries in the cache' });
    }
  }

  /**
   * The processes of the started control plane, by id (`etcd` or `etcd-0`…`etcd-2`, `kube-apiserver`,
   * `kube-controller-manager`, `kube-scheduler`), and whether each runs: what control-plane faults stop.
   */
  processes(): Array<{ id: string; component: ComponentName; running: boolean; pid: number }> {
    return this.procs.map((p) => ({ id: p.id, component: p.name, running: p.running, pid: p.pid }));
  }

  /** Kills one process (SIGKILL, as a crash); nothing when it is not running. Call after start(). */
  async killProcess(id: string): Promise<void> {
    const proc = this.process(id);
    this.healthy.delete(proc);
    await proc.kill();
    this.log.warn({ name: id, pid: proc.pid }, 'control-plane process killed (control-plane fault)');
  }

  /**
   * Starts a killed process again on its ports, with its data (an etcd member rejoins by its data dir),
   * and resolves once it is healthy (etcd in another namespace: once it runs, the API server's readiness
   * then says the rest). Nothing when it runs. Rejects with an EnvironmentError after `timeoutMs`.
   */
  async restartProcess(id: string, timeoutMs = 60_000): Promise<void> {
    const old = this.process(id);
    if (old.running) return;
    if (!this.endpoint || this.stopRequested) throw new UsageError(`restartProcess(${id}) needs a started control plane`);
    this.procs.splice(this.procs.indexOf(old), 1);
    const proc = await this.spawn(old.name, id);
    const failure = await this.waitHealthy(proc, this.tlsOf.get(id), this.clock.now() + timeoutMs, id);
    if (failure) {
      const lines = await failure.proc.logTail(15);
      throw new EnvironmentError(`${failure.proc.id} ${failure.what}${lines.length ? `; the last lines of its log:\n    ${lines.join('\n    ')}` : ''}`, { hint: `see ${logFile(this.layout.logs, id)}` });
    }
    this.healthy.add(proc);
    this.log.info({ name: id, pid: proc.pid }, 'control-plane process restarted');
  }

  /**
   * New node-failure detection flags, as an operator edits the static-pod manifests: the
   * controller-manager is stopped (SIGTERM), `whileDown` runs (the kubelets take their new heartbeat
   * while no node lifecycle controller can judge them by either period), and it starts again with
   * --node-monitor-period / --node-monitor-grace-period; the API server is restarted the same way only
   * when the default toleration seconds change (its DefaultTolerationSeconds admission flags). Resolves
   * once each restarted process is healthy again; an EnvironmentError otherwise.
   */
  async reconfigure(change: Partial<Pick<Settings, 'nodeMonitorGracePeriodMs' | 'nodeMonitorPeriodMs' | 'defaultTolerationSeconds'>>, whileDown: () => Promise<void> = async () => {}, timeoutMs = 60_000): Promise<void> {
    if (!this.endpoint || this.stopRequested) throw new UsageError('reconfigure needs a started control plane');
    const s = this.settings;
    const apiserver = change.defaultTolerationSeconds !== undefined && change.defaultTolerationSeconds !== s.defaultTolerationSeconds;
    const restart = async (id: ComponentName, apply: () => void, during: () => Promise<void> = async () => {}): Promise<void> => {
      const proc = this.process(id);
      this.healthy.delete(proc);
      await proc.stop(10_000);
      apply();
      await during();
      await this.restartProcess(id, timeoutMs);
    };
    if (apiserver) await restart('kube-apiserver', () => { s.defaultTolerationSeconds = change.defaultTolerationSeconds!; });
    await restart('kube-controller-manager', () => {
      if (change.nodeMonitorGracePeriodMs !== undefined) s.nodeMonitorGracePeriodMs = change.nodeMonitorGracePeriodMs;
      if (change.nodeMonitorPeriodMs !== undefined) s.nodeMonitorPeriodMs = change.nodeMonitorPeriodMs;
    }, whileDown);
    this.log.info({ nodeMonitorGracePeriodMs: s.nodeMonitorGracePeriodMs, nodeMonitorPeriodMs: s.nodeMonitorPeriodMs, defaultTolerationSeconds: s.defaultTolerationSeconds, apiserverRestarted: apiserver }, 'control plane reconfigured');
  }

  private process(id: string): ComponentProcess {
    const proc = [...this.procs].reverse().find((p) => p.id === id);
    if (!proc) throw new UsageError(`no control-plane process ${id}`, { hint: `processes: ${this.procs.map((p) => p.id).join(', ')}` });
    return proc;
  }

  /** Polls `proc`'s health until it passes (undefined), it or a healthy component exits, or the deadline passes. */
  private async waitHealthy(proc: ComponentProcess, tls: TlsMaterial | undefined, deadline: number, id: string = proc.name): Promise<{ proc: ComponentProcess; what: string; exited: boolean } | undefined> {
    const url = await this.healthUrl(proc.name, id);
    let last = 'no answer yet';
    for (;;) {
      // a stop() may have come while this component was being spawned, after halt() looked for processes
      if (this.stopRequested) return { proc, what: 'was stopped', exited: false };
      // not the other one being started beside it (the controller-manager and scheduler start together): it may yet retry
      const dead = [proc, ...this.healthy].find((p) => !p.running);
      if (dead) {
        const exit = await dead.exited;
        return { proc: dead, what: `exited (code ${exit.exitCode}) before the control plane was ready`, exited: true };
      }
      if (!tls) return undefined;
      const problem = await checkHealth(url, tls);
      if (!problem) return undefined;
      if (problem !== last) this.log.debug({ name: proc.name, problem }, 'not healthy yet');
      last = problem;
      if (this.clock.now() > deadline) return { proc, what: `was not ready in time (${url}: ${last})`, exited: false };
      await Promise.race([this.clock.sleep(pollMs), proc.exited]);
    }
  }

  private async healthUrl(name: ComponentName, id: string = name): Promise<string> {
    const member = name === 'etcd' ? etcdMembers(this.layout, this.ports as Ports).find((m) => m.id === id) : undefined;
    const internal = new URL(member ? `https://127.0.0.1:${member.client}/health` : healthURL(name, this.settings, this.ports as Ports));
    if (!this.opts.reach || name === 'etcd') return internal.href;
    return `${await this.reachable(internal.hostname, Number(internal.port))}${internal.pathname}`;
  }

  /** Admin, controller-manager, scheduler and kube-proxy kubeconfigs, now that the API server's port is known. */
  private async writeKubeconfigs(): Promise<string> {
    const pki = this.pki!;
    await mkdir(this.layout.kubeconfigs, { recursive: true, mode: 0o700 });
    const files = { 'admin': pki.clients.admin, 'controller-manager': pki.clients.controllerManager, 'scheduler': pki.clients.scheduler, 'kube-proxy': pki.clients.kubeProxy } as const;
    let admin = '';
    // the controller-manager and scheduler run beside the API server; admin and kube-proxy are used from here
    const outside = await this.publicUrl();
    for (const [user, pair] of Object.entries(files)) {
      const server = user === 'admin' || user === 'kube-proxy' ? outside : this.url();
      const yaml = kubeconfigYaml({ server, caPem: pki.ca.certPem, user, ...pair });
      await writeFile(kubeconfigPath(this.layout, user as keyof typeof files), yaml, { mode: 0o600 });
      if (user === 'admin') admin = yaml;
    }
    return admin;
  }

  /**
   * A kubelet's credentials for node `node` with addresses `ips`: a kubeconfig file (client certificate
   * `system:node:<node>` in `system:nodes`), and the serving certificate the API server checks when it
   * calls the kubelet. Call after start().
   */
  async nodeCredentials(node: string, ips: string[]): Promise<{ kubeconfig: string; servingCertPem: string; servingKeyPem: string; caPem: string }> {
    if (!this.endpoint || !this.pki) throw new UsageError('nodeCredentials() needs a started control plane: call start() first');
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(node)) throw new UsageError(`not a valid node name: ${node}`, { hint: 'lower-case letters, digits, `-` and `.`' });
    const bad = ips.filter((ip) => !isIP(ip));
    if (bad.length) throw new UsageError(`not IP addresses: ${bad.join(', ')}`);
    const { client, serving } = await this.pki.node(node, ips, new Date(this.clock.wallNow()));
    const file = kubeconfigPath(this.layout, `kubelet-${node}`);
    await writeFile(file, kubeconfigYaml({ server: this.endpoint.url, caPem: this.pki.ca.certPem, user: `system:node:${node}`, ...client }), { mode: 0o600 });
    return { kubeconfig: file, servingCertPem: serving.certPem, servingKeyPem: serving.keyPem, caPem: this.pki.ca.certPem };
  }

  /**
   * A serving certificate of the cluster CA with the given DNS names, e.g. `<service>.<namespace>.svc` for
   * an aggregated API server (the API server checks it against its APIService's caBundle, this CA). Call
   * after start().
   */
  async servingCertificate(dnsNames: string[]): Promise<{ certPem: string; keyPem: string; caPem: string }> {
    if (!this.endpoint || !this.pki) throw new UsageError('servingCertificate() needs a started control plane: call start() first');
    const pair = await this.pki.serving(dnsNames, new Date(this.clock.wallNow()));
    return { ...pair, caPem: this.pki.ca.certPem };
  }

  /** Path of kube-proxy's kubeconfig (user `system:kube-proxy`). Call after start(). */
  proxyKubeconfig(): string {
    if (!this.endpoint) throw new UsageError('proxyKubeconfig() needs a started control plane: call start() first');
    return kubeconfigPath(this.layout, 'kube-proxy');
  }

  /**
   * Stops every process (controller-manager and scheduler, then the API server, then etcd: SIGTERM,
   * SIGKILL after a grace) and removes etcd's data, certificates and kubeconfigs unless keepState.
   * Idempotent; safe during or after a failed start().
   */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= (async () => {
      // stopping the processes makes a start() in progress fail at once; it then halts too
      await this.halt();
      await this.starting?.catch(() => undefined);
      await this.halt();
      this.progress('control plane: stopped');
    })();
    return this.stopping;
  }

  private async halt(): Promise<void> {
    const order: ComponentName[][] = [['kube-controller-manager', 'kube-scheduler'], ['kube-apiserver'], ['etcd']];
    for (const names of order) {
      await Promise.all(this.procs.filter((p) => names.includes(p.name)).map((p) => p.stop(stopGraceMs)));
    }
    // any left from bind retries
    await Promise.all(this.procs.map((p) => p.stop(stopGraceMs)));
    if (!this.opts.keepState) {
      for (const dir of [this.layout.etcdData, this.layout.pki, this.layout.kubeconfigs]) await rm(dir, { recursive: true, force: true });
    }
    this.endpoint = undefined;
  }
}
