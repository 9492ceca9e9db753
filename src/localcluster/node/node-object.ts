import os from 'node:os';
import type { KObject } from '../api/index.js';
import { KUBE_VERSION } from '../apiserver/index.js';
import { rfc3339 } from '../store/index.js';
import { crtVersion } from '../../core/index.js';

export interface NodeShape {
  name: string;
  ip: string;
  podCIDR: string;
  zone: string;
  labels?: Record<string, string>;
  /** What the node offers the scheduler (status.capacity and allocatable); default: this machine's cpus and memory, 110 pods. */
  capacity?: NodeCapacity;
}

/** A node's schedulable resources, as Kubernetes quantities (`4`, `500m`, `8Gi`) and a pod count. */
export interface NodeCapacity {
  cpu?: string;
  memory?: string;
  pods?: number;
}

/** The Node a kubelet registers: labels, capacity of this machine, conditions, addresses, nodeInfo. */
export function nodeObject(shape: NodeShape, nowMs: number): KObject {
  const stamp = rfc3339(nowMs);
  const capacity = {
    cpu: shape.capacity?.cpu ?? String(os.cpus().length), memory: shape.capacity?.memory ?? `${Math.floor(os.totalmem() / 1024)}Ki`,
    pods: String(shape.capacity?.pods ?? 110), 'ephemeral-storage': '10Gi',
  };
  const condition = (type: string, status: string, reason: string, message: string): Record<string, string> =>
    ({ type, status, reason, message, lastHeartbeatTime: stamp, lastTransitionTime: stamp });
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: shape.name,
      labels: {
        'kubernetes.io/hostname': shape.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        'topology.kubernetes.io/zone': shape.zone, ...shape.labels,
      },
    },
    spec: { podCIDR: shape.podCIDR, podCIDRs: [shape.podCIDR] },
    status: {
      capacity, allocatable: capacity,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [{ type: 'InternalIP', address: shape.ip }, { type: 'Hostname', address: shape.name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        machineID: shape.name, systemUUID: shape.name, bootID: String(nowMs),
        kernelVersion: os.release(), osImage: `crt embedded node (${os.type()})`, containerRuntimeVersion: `crt://${crtVersion}`,
        kubeletVersion: `${KUBE_VERSION.gitVersion}`, kubeProxyVersion: `${KUBE_VERSION.gitVersion}`,
        operatingSystem: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      },
    },
  };
}
