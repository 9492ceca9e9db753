import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { createLogger, CrtError, crtVersion, etcdVersion, ExitCode, exitCodeDescriptions, formatProblem, kubernetesVersion, OPEN_FILES_TO_START, openFilesLimit, outOfFileDescriptors, parseDuration, PlanError } from '../core/index.js';
import type { ClusterInstallFlags, ClusterUpFlags } from './commands/cluster.js';
import type { CompareFlags } from './commands/compare.js';
import type { PushFlags } from './commands/push.js';
import type { ReportFlags } from './commands/report.js';
import type { RunFlags } from './commands/run.js';
import type { RevertFlags } from './commands/revert.js';
import type { CliIO } from './io.js';

// Commands are imported when used: `crt validate` need not load the runner, engines and reporters.

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch {
    throw new InvalidArgumentError('must be a duration such as 500ms, 40s or 5m');
  }
}

/** What each command's action reports to: the CLI's streams, its arguments, and the exit code. */
interface Wiring {
  io: CliIO;
  argv: readonly string[];
  setCode: (code: number) => void;
}

/** The commander program of `crt`; also walked by scripts/gen-docs.mjs for docs/reference/cli.md. */
export function buildProgram(io: CliIO, argv: readonly string[], setCode: (code: number) => void): Command {
  const w: Wiring = { io, argv, setCode };
  const program = new Command('crt')
    .description('Load testing and chaos validation for services on Kubernetes: runs a CRT (acceptance test book) and writes its report.')
    .version(`${crtVersion} (Kubernetes v${kubernetesVersion}, etcd v${etcdVersion}: crt cluster install)`)
    .showHelpAfterError('(run crt --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText('after', `\nExit codes:\n${exitCodeDescriptions.map(([c, d]) => `  ${String(c).padStart(3)}  ${d}`).join('\n')}\n`);

  addPlanCommands(program, w);
  addRunFolderCommands(program, w);
  addOperatorCommands(program, w);
  const cluster = addClusterUp(program, w);
  addClusterTools(cluster, w);
  return program;
}

/** validate and run: the commands that take a plan. */
function addPlanCommands(program: Command, { io, argv, setCode }: Wiring): void {
  program
    .command('validate')
    .description('check plans: every problem with file:line:col and a hint (exit 2), or a summary of each valid plan')
    .argument('<plan...>', 'plan files (YAML)')
    .action(async (files: string[]) => {
      const { validateCommand } = await import('./commands/validate.js');
      setCode(validateCommand(files, io));
    });

  program
    .command('run')
    .description('run the cases of a plan and write the run folder (run.json, time series, reports)')
    .argument('<plan>', 'plan file (YAML)')
    .option('--only <ids>', 'run only these case ids (comma-separated, repeatable)', list, [])
    .option('--tags <tags>', 'run only cases with one of these tags', list, [])
    .option('--exclude-tags <tags>', 'leave out cases with one of these tags', list, [])
    .option('--layer <layers>', 'run only these layers: physical, logical, auxiliary', list, [])
    .option('--dry-run', 'print what would run; nothing is sent, nothing is changed', false)
    .option('--out <dir>', 'folder under which the run folder is created', 'reports')
    .option('--run-id <id>', 'name of the run folder (default: date-time-plan-random)')
    .addOption(new Option('--log-level <level>', 'level of crt.log in the run folder').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .option('--progress-every <seconds>', 'progress line interval when stderr is not a terminal', positiveInt, 5)
    .option('--revert-first', 'revert the faults earlier runs left in the cluster (journal ConfigMaps), then run', false)
    .addOption(new Option('--control-plane <kind>', 'the embedded cluster\'s control plane, over the plan\'s cluster.local.controlPlane: builtin, kubernetes (the real one) or auto (the real one when it can run here; the default, unless CRT_CONTROL_PLANE says otherwise)').choices(['builtin', 'kubernetes', 'auto']))
    .option('--assume-done', 'take manual steps as done at once (default outside a terminal: cases with a manual step are skipped)', false)
    .option('--wait-confirm', 'wait for manual steps to be confirmed with crt confirm, even without a terminal', false)
    .option('--influx-url <url>', 'also write the time series to this InfluxDB (env CRT_INFLUX_URL; credentials only from the environment, see docs/guides/influxdb-grafana.md)')
    .option('--baseline <run>', 'compare with this run (id or folder) or last-good when done: regressions exit 1 (see docs/guides/nightly-regression.md)')
    .option('--grafana-url <template>', 'link the report to this dashboard, {from} {to} (epoch ms) {runId} {plan} filled in (env CRT_GRAFANA_URL; see docs/guides/traceability.md)')
    .option('--notify <format:env-var[:on]>', 'send the outcome to a webhook whose URL is in this environment variable: slack, teams or json; on failure (default), always or change (repeatable; see docs/guides/notifications.md)', collect, [])
    .action(async (file: string, flags: RunFlags) => {
      const { runCommand } = await import('./commands/run.js');
      setCode(await runCommand(file, flags, io, argv.slice(2)));
    });
}

/** report, compare and revert: the commands that read run folders. */
function addRunFolderCommands(program: Command, { io, setCode }: Wiring): void {
  program
    .command('report')
    .description('render the reports of a run folder again, from run.json and timeseries.jsonl')
    .argument('<run-folder>', 'a folder written by crt run, e.g. reports/<run-id>')
    .option('--sign-off <file>', 'fill the report\'s sign-off block from this YAML file (preparedBy, reviewedBy, decision, date, deviations), recorded in run.json')
    .option('--grafana-url <template>', 'link the report to this dashboard, {from} {to} (epoch ms) {runId} {plan} filled in, recorded in run.json')
    .action(async (dir: string, flags: ReportFlags) => {
      const { reportCommand } = await import('./commands/report.js');
      setCode(await reportCommand(dir, io, createLogger(pino.destination(2), 'warn'), flags));
    });

  program
    .command('compare')
    .description('compare a run with a baseline run, per case and phase (p95, p99, error rate, recovery times): exit 1 on regression')
    .argument('<run>', 'a run folder or a run id under --out')
    .requiredOption('--baseline <run>', 'the reference: a run id, a run folder, or last-good (the newest passed run of the same plan)')
    .option('--out <dir>', 'folder holding the run folders', 'reports')
    .option('--influx-url <url>', 'with last-good: look in this InfluxDB when no run folder qualifies (default: CRT_INFLUX_URL, then the plan\'s sinks.influx)')
    .action(async (ref: string, flags: CompareFlags) => {
      const { compareCommand } = await import('./commands/compare.js');
      setCode(await compareCommand(ref, flags, io));
    });

  program
    .command('revert')
    .description('list (--list) or revert (--run, --all) the faults that runs left in place, from the run folders and the cluster\'s journal ConfigMaps')
    .option('--run <run-id>', 'revert the outstanding faults of this run')
    .option('--all', 'revert the outstanding faults of every run', false)
    .option('--list', 'show what is outstanding, change nothing', false)
    .option('--out <dir>', 'folder holding the run folders', 'reports')
    .option('--kubeconfig <file>', 'the cluster (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--plan <file>', 'take the cluster (kubeconfig, context, journalNamespace) from this plan')
    .option('--journal-namespace <ns>', 'namespace of the journal ConfigMaps (default: default)')
    .option('--no-cluster', 'use the run folders only')
    .option('--force', 'revert even objects someone changed since the fault, faults journaled by an older crt that name no cluster, and the faults of a run in progress (its cluster lease is live)', false)
    .action(async (flags: RevertFlags) => {
      const { revertCommand } = await import('./commands/revert.js');
      setCode(await revertCommand(flags, io, createLogger(pino.destination(2), 'warn')));
    });
}

/** confirm, push and the hidden worker. */
function addOperatorCommands(program: Command, { io, setCode }: Wiring): void {
  program
    .command('confirm')
    .description('confirm a manual step a running crt run waits on (from another shell)')
    .argument('<run-id>', 'the run (its folder name)')
    .argument('<step>', 'the step name (name: in the plan, or <fault>-<n>)')
    .option('--case <id>', 'the case, when several wait on a step of that name')
    .option('--out <dir>', 'folder holding the run folders', 'reports')
    .action(async (runId: string, step: string, flags: { case?: string; out: string }) => {
      const { confirmCommand } = await import('./commands/confirm.js');
      setCode(await confirmCommand(runId, step, flags, io));
    });

  program
    .command('push')
    .description('write a run to InfluxDB later: replays its spool (influx-spool.jsonl), or with --all every record of the run folder')
    .argument('<run-folder>', 'a folder written by crt run, e.g. reports/<run-id>')
    .option('--influx-url <url>', 'the InfluxDB (default: CRT_INFLUX_URL, then the plan\'s sinks.influx.url)')
    .option('--database <name>', 'database (default: the plan\'s, then CRT_INFLUX_DATABASE, then crt)')
    .option('--all', 'write timeseries.jsonl, events.jsonl, cluster.jsonl and the case verdicts (idempotent: same points overwrite)', false)
    .action(async (dir: string, flags: PushFlags) => {
      const { pushCommand } = await import('./commands/push.js');
      setCode(await pushCommand(dir, flags, io, createLogger(pino.destination(2), 'warn')));
    });

  program
    .command('worker', { hidden: true })
    .description('a load worker of a distributed load (started by crt run in the cluster; reads CRT_WORKER)')
    .action(async () => {
      const { workerCommand } = await import('./commands/worker.js');
      setCode(await workerCommand(io, createLogger(pino.destination(2), 'warn')));
    });
}

const dirOption = () => new Option('--dir <dir>', 'folder for the kubeconfig, state and logs').default('.crt');

/** The `cluster` command and its `up`; returns the `cluster` command for the others. */
function addClusterUp(program: Command, { io, argv, setCode }: Wiring): Command {
  const cluster = program.command('cluster').description('the embedded Kubernetes-compatible cluster: pods are local processes (see docs/embedded-cluster/overview.md)');
  cluster
    .command('up')
    .description('start the embedded cluster in the foreground (Ctrl-C stops it), or in the background with --detach')
    .option('--nodes <n>', 'number of nodes', positiveInt, 3)
    .option('--demo', 'deploy the demo system (gateway → customer-service → store in namespace demo) and wait for it', false)
    .option('-d, --detach', 'run in the background; stop it with crt cluster down', false)
    .addOption(dirOption())
    .option('--port <port>', 'API server port on 127.0.0.1 (0: any free port)', (v) => Number(v), 0)
    .addOption(new Option('--log-level <level>', 'level of <dir>/cluster.log').choices(['trace', 'debug', 'info', 'warn', 'error']).default('info'))
    .option('--heartbeat <duration>', 'kubelet heartbeat period (default 10s)', duration)
    .option('--node-monitor-grace-period <duration>', 'heartbeat silence before a node goes Unknown and gets the unreachable taint (default 50s)', duration)
    .option('--node-monitor-period <duration>', 'how often the node lifecycle controller checks heartbeats (default 5s)', duration)
    .option('--default-toleration-seconds <n>', 'how long pods stay on an unreachable node before eviction (default 300)', (v) => Number(v))
    .addOption(new Option('--control-plane <kind>', 'builtin: crt\'s own API server; kubernetes: the real etcd, kube-apiserver, controller-manager and scheduler '
      + '(crt cluster install; root, for network namespaces); auto: kubernetes when it can run here, else builtin, saying why (default: CRT_CONTROL_PLANE, else auto)').choices(['builtin', 'kubernetes', 'auto']))
    .action(async (flags: ClusterUpFlags) => {
      const { clusterUp } = await import('./commands/cluster.js');
      setCode(await clusterUp(flags, io, argv.slice(2)));
    });
  return cluster;
}

/** cluster down, status, url, node and install. */
function addClusterTools(cluster: Command, { io, setCode }: Wiring): void {
  cluster
    .command('down')
    .description('stop the cluster started from --dir and every pod process')
    .addOption(dirOption())
    .action(async (flags: { dir: string }) => {
      const { clusterDown } = await import('./commands/cluster.js');
      setCode(await clusterDown(flags, io));
    });
  cluster
    .command('status')
    .description('nodes, pods and deployments of the running embedded cluster (exit 3 when it is not running)')
    .addOption(dirOption())
    .action(async (flags: { dir: string }) => {
      const { clusterStatus } = await import('./commands/cluster.js');
      setCode(await clusterStatus(flags, io));
    });
  cluster
    .command('url')
    .description('print the URL at which this machine reaches a Service, e.g. crt cluster url demo/gateway')
    .argument('<service>', 'namespace/name or namespace/name:port')
    .addOption(dirOption())
    .option('--kubeconfig <file>', 'another cluster than the embedded one')
    .action(async (service: string, flags: { dir: string; kubeconfig?: string }) => {
      const { clusterUrl } = await import('./commands/cluster.js');
      setCode(await clusterUrl(service, flags, io));
    });
  cluster
    .command('node')
    .description('power a node of the running embedded cluster off (its pod processes die at once, heartbeats stop) or on, '
      + 'or take its network link down (its pods keep running, unreachable, heartbeats stop) or up')
    .argument('<name>', 'the node, e.g. node-2')
    .addArgument(new Argument('<state>', 'off, on, link-down or link-up').choices(['off', 'on', 'link-down', 'link-up']))
    .addOption(dirOption())
    .action(async (name: string, state: 'off' | 'on' | 'link-down' | 'link-up', flags: { dir: string }) => {
      const { clusterNode } = await import('./commands/cluster.js');
      setCode(await clusterNode(name, state, flags, io));
    });
  cluster
    .command('install')
    .description('put kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and etcd of one Kubernetes release in the cache '
      + '(~/.cache/crt/kubernetes/<version>/bin, CRT_CACHE moves it), from --from or KUBEBUILDER_ASSETS, a verified download, or a go build; '
      + 'prints the bin folder (see docs/embedded-cluster/real-control-plane.md)')
    .option('--kubernetes-version <x.y.z>', `the release (default ${kubernetesVersion})`)
    .option('--from <dir>', 'a folder holding the five programs of that release')
    .option('--mirror <url>', 'base URL of a mirror of the downloads: <url>/release/vX.Y.Z/bin/<os>/<arch>/<program> and <url>/etcd/vA.B.C/ (env CRT_KUBERNETES_MIRROR)')
    .option('--no-download', 'do not try the download (take --from, KUBEBUILDER_ASSETS or a go build)')
    .action(async (flags: ClusterInstallFlags) => {
      const { clusterInstall } = await import('./commands/cluster.js');
      setCode(await clusterInstall(flags, io));
    });
}

/**
 * The `crt` program. The only place that maps errors to exit codes: a CrtError prints its
 * message and hint without a stack; anything else is a bug and prints the stack.
 */
export async function main(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let code: number = ExitCode.passed;
  // read now: once the process is out of file descriptors, /proc/self/limits cannot be opened either
  const openFiles = openFilesLimit();
  const program = buildProgram(io, argv, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.passed : ExitCode.invalid;
    }
    if (err instanceof PlanError) {
      for (const p of err.problems) io.stderr.write(`${formatProblem(p)}\n`);
    }
    if (err instanceof CrtError) {
      io.stderr.write(`error: ${err.message}\n`);
      if (err.hint) io.stderr.write(`hint: ${err.hint}\n`);
      return err.exitCode;
    }
    if (outOfFileDescriptors(err, openFiles)) {
      // a low `ulimit -n` is the environment's problem (exit 3), wherever it struck
      io.stderr.write(`error: too many open files: ${(err as Error).message} (open-files limit ${openFiles ?? 'unknown'}, ulimit -n)\n` +
        `hint: crt needs about ${OPEN_FILES_TO_START} open files to start, plus one per load connection: raise the limit (ulimit -n 65536)\n`);
      return ExitCode.environment;
    }
    io.stderr.write(`${(err as Error)?.stack ?? String(err)}\ninternal error in crt: please report it with the output above\n`);
    return ExitCode.internal;
  }
}
