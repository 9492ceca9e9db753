import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { PatchStrategy, setHeaderOptions, V1MicroTime, type CoordinationV1Api, type CoreV1Api, type V1Lease, type V1Node } from '@kubernetes/client-node';
import { crtVersion, type Clock } from '../../core/index.js';
import { apiStatus } from '../../kube/index.js';

/** The kubelet's port, as Node.status.daemonEndpoints says and as the API server dials it for logs. */
export const KUBELET_PORT = 10250;
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeIdentity {
  name: string;
  ip: string;
  /** The node's address from outside the cluster network (its ExternalIP), when it has one. */
  externalIP?: string;
  zone?: string;
  capacity?: { cpu: string; memory: string; pods: string };
}

type Condition = { type: string; status: string; reason: string; message: string; lastHeartbeatTime: string; lastTransitionTime: string };

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** RFC 3339 with second precision, as metav1.Time is written. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * What a kubelet tells the API about its own node, over the API like any client: the Node's registration
 * (labels, addresses, capacity, nodeInfo with this boot's id), its status with the Ready heartbeat, and
 * its Lease in kube-node-lease. Every method is one or two requests; callers decide when (and whether the
 * node can reach the API at all).
 */
export class NodeReporter {
  /** This power-on's boot id: a new one after each powerOn(), as /proc/sys/kernel/random/boot_id. */
  bootID = randomUUID();
  /** The Node as the API last returned it (spec.podCIDR, uid). */
  node: V1Node | undefined;
  private lease: V1Lease | undefined;
  private transitions = new Map<string, { status: string; time: string }>();
  private kubeletVersion = 'v0.0.0';

  constructor(
    private readonly core: CoreV1Api,
    private readonly coordination: CoordinationV1Api,
    private readonly identity: NodeIdentity,
    private readonly clock: Clock,
    private leaseDurationSeconds: number,
  ) {}

  /** The duration written in the Lease from its next renewal on. */
  setLeaseDuration(seconds: number): void {
    this.leaseDurationSeconds = seconds;
  }

  /** The version the kubelet reports: the API server's own, so that no skew shows in `kubectl get nodes`. */
  setVersion(gitVersion: string): void {
    this.kubeletVersion = gitVersion;
  }

  /** A new boot: fresh boot id and condition transition times. */
  reboot(): void {
    this.bootID = randomUUID();
    this.transitions.clear();
  }

  /** Creates the Node (status included, as the kubelet registers it) or, when it exists, posts this boot's status. */
  async register(): Promise<V1Node> {
    const body: V1Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: this.identity.name, labels: this.labels() }, spec: {}, status: this.status() };
    try {
      this.node = await this.core.createNode({ body });
    } catch (err) {
      if (apiStatus(err) !== 409) throw err;
      // a Node from an earlier run or boot: the kubelet takes it over with its labels and fresh status
      await this.core.patchNode({ name: this.identity.name, body: { metadata: { labels: this.labels() } } }, mergePatch());
      return this.postStatus();
    }
    return this.node;
  }

  /** Posts the node status (conditions with a fresh heartbeat, addresses, capacity, nodeInfo). */
  async postStatus(): Promise<V1Node> {
    this.node = await this.core.patchNodeStatus({ name: this.identity.name, body: { status: this.status() } }, mergePatch());
    return this.node;
  }

  /** Renews the node's Lease (creating it the first time), as the kubelet does every leaseDuration/4. */
  async renewLease(): Promise<void> {
    const name = this.identity.name;
    const namespace = NODE_LEASE_NAMESPACE;
    const renewTime = new V1MicroTime(this.clock.wallNow());
    if (!this.lease) {
      try {
        this.lease = await this.coordination.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (apiStatus(err) !== 404) throw err;
        const owner = this.node?.metadata?.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: this.node.metadata.uid }] } : {};
        this.lease = await this.coordination.createNamespacedLease({
          namespace,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace, ...owner }, spec: { holderIdentity: name, leaseDurationSeconds: this.leaseDurationSeconds, renewTime } },
        });
        return;
      }
    }
    const body: V1Lease = { ...this.lease, spec: { ...this.lease.spec, holderIdentity: name, leaseDurationSeconds: this.leaseDurationSeconds, renewTime } };
    try {
      this.lease = await this.coordination.replaceNamespacedLease({ name, namespace, body });
    } catch (err) {
      // someone else wrote it (or deleted it): read it again at the next renewal
      this.lease = undefined;
      throw err;
    }
  }

  private labels(): Record<string, string> {
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const { name, zone } = this.identity;
    return {
      'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch,
      'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': arch,
      ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}),
    };
  }

  private status(): NonNullable<V1Node['status']> {
    const now = rfc3339(this.clock.wallNow());
    const capacity = this.identity.capacity ?? { cpu: String(os.cpus().length), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: '110' };
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    return {
      capacity: { ...capacity, 'ephemeral-storage': '10Gi' }, allocatable: { ...capacity, 'ephemeral-storage': '10Gi' },
      conditions: [
        this.condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', now),
        this.condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', now),
        this.condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', now),
        this.condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', now),
      ] as any,
      addresses: [
        { type: 'InternalIP', address: this.identity.ip },
        ...(this.identity.externalIP ? [{ type: 'ExternalIP', address: this.identity.externalIP }] : []),
        { type: 'Hostname', address: this.identity.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
      nodeInfo: {
        machineID: this.identity.name, systemUUID: this.identity.name, bootID: this.bootID,
        kernelVersion: os.release(), osImage: `crt node (${os.type()})`, containerRuntimeVersion: `crt://${crtVersion}`,
        kubeletVersion: this.kubeletVersion, kubeProxyVersion: this.kubeletVersion, operatingSystem: 'linux', architecture: arch,
      },
    };
  }

  private condition(type: string, status: string, reason: string, message: string, now: string): Condition {
    const previous = this.transitions.get(type);
    const time = previous?.status === status ? previous.time : now;
    this.transitions.set(type, { status, time });
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: time };
  }
}
