import type { Clock, Logger } from '../../core/index.js';
import type { Wrap } from './component-process.js';

export interface ControlPlaneOptions {
  /** the folder holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler (`crt cluster install` prints it) */
  binDir: string;
  /** certificates, etcd data, kubeconfigs and logs go under it */
  stateDir: string;
  log?: Logger;
  /** where the API server, controller-manager and scheduler listen (default 127.0.0.1); etcd stays on 127.0.0.1 */
  bindHost?: string;
  /** more names or addresses for the API server's certificate */
  extraSANs?: string[];
  /** default 198.19.0.0/16 */
  serviceCIDR?: string;
  /** pod addresses, a /24 per node (default 198.18.128.0/17) */
  clusterCIDR?: string;
  /** default 50 s, as Kubernetes has it */
  nodeMonitorGracePeriodMs?: number;
  /** default 5 s */
  nodeMonitorPeriodMs?: number;
  /** tolerationSeconds of the not-ready and unreachable tolerations added to pods (default 300) */
  defaultTolerationSeconds?: number;
  /** default 15 s */
  hpaSyncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (default 5 min, as Kubernetes has it) */
  hpaDownscaleStabilizationMs?: number;
  /**
   * How often the API server compacts etcd's history (default 5 min, as Kubernetes has it). Shorter, a
   * watch from a resourceVersion older than that is answered 410 Gone sooner (tests of relists use it).
   */
  etcdCompactionIntervalMs?: number;
  /**
   * false: the API server keeps no watch cache, and etcd serves every watch, as for a resource without
   * one; a watch from a resourceVersion compacted away is then answered 410 Gone (default true: a watch
   * cache, which answers 410 only once its window has moved past the resourceVersion).
   */
  watchCache?: boolean;
  /**
   * Where this process reaches `host:port` of the namespace `wrap` runs the programs in (e.g. a loopback
   * forward into it), when it cannot directly: health checks, the returned URL, and the admin, kube-proxy
   * and node kubeconfigs use it. Default: host:port as they are.
   */
  reach?: (host: string, port: number) => Promise<{ host: string; port: number }>;
  /** applied to every command line, e.g. to run it in a network namespace with `ip netns exec NAME` */
  wrap?: Wrap;
  /** one line per step a person waits on */
  onProgress?: (line: string) => void;
  /** stop() keeps etcd data and certificates (logs are always kept) */
  keepState?: boolean;
  /**
   * etcd's members (default 1). With 3, all on 127.0.0.1, one member can be stopped while writes go on
   * and two to lose the quorum (control-plane faults); it costs two more etcd processes.
   */
  etcdMembers?: 1 | 3;
  /** how long start() may take before it gives up (default 120 s) */
  startTimeoutMs?: number;
  /**
   * The state dir the processes are marked with (`CRT_EMBEDDED_CLUSTER`, default `stateDir`): the
   * orphan scan (killLeftovers, otherClusters) treats them as processes of that embedded cluster.
   */
  clusterDir?: string;
  clock?: Clock;
}

export interface ControlPlaneEndpoint {
  url: string;
  /** path of the admin kubeconfig (system:masters) */
  adminKubeconfig: string;
  caPem: string;
}
