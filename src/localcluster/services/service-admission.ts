import { ApiError, type KObject } from '../api/index.js';
import type { AddressPool } from '../network/index.js';
import type { Admission } from '../store/index.js';

const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

/**
 * Allocates what the real API server allocates for a Service: a ClusterIP (here a loopback address of
 * its own, so every Service can listen on its port) and node ports for NodePort/LoadBalancer Services.
 */
export function serviceAdmission(pool: AddressPool): Admission {
  const usedNodePorts = new Set<number>();
  const allocateNodePort = (): number => {
    for (let p = NODE_PORT_MIN; p <= NODE_PORT_MAX; p++) if (!usedNodePorts.has(p)) return p;
    throw new ApiError(422, 'Invalid', 'no node ports left in 30000-32767');
  };
  const nodePorts = (svc: KObject, old?: KObject): void => {
    const wants = svc.spec.type === 'NodePort' || svc.spec.type === 'LoadBalancer';
    const before = new Set<number>((old?.spec?.ports ?? []).map((p: any) => p.nodePort).filter(Boolean));
    for (const port of svc.spec.ports ?? []) {
      if (!wants) { delete port.nodePort; continue; }
      if (port.nodePort && !before.has(port.nodePort) && usedNodePorts.has(port.nodePort)) {
        throw new ApiError(422, 'Invalid', `Service "${svc.metadata.name}" is invalid: spec.ports[].nodePort: Invalid value: ${port.nodePort}: provided port is already allocated`,
          { name: svc.metadata.name!, kind: 'Service', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${port.nodePort}: provided port is already allocated`, field: 'spec.ports[].nodePort' }] });
      }
      port.nodePort ??= allocateNodePort();
      usedNodePorts.add(port.nodePort);
    }
  };
  return {
    create(svc, opts) {
      if (svc.spec.clusterIP !== 'None') {
        if (svc.spec.clusterIP) {
          try {
            if (!opts.dryRun) pool.reserve(svc.spec.clusterIP);
          } catch {
            throw new ApiError(422, 'Invalid', `Service "${svc.metadata.name}" is invalid: spec.clusterIPs: Invalid value: []string{"${svc.spec.clusterIP}"}: failed to allocate IP ${svc.spec.clusterIP}: provided IP is already allocated or outside the service range ${pool.cidr}`);
          }
        } else svc.spec.clusterIP = opts.dryRun ? '127.20.255.254' : pool.allocate();
        svc.spec.clusterIPs = [svc.spec.clusterIP];
      }
      svc.spec.ipFamilies = ['IPv4'];
      svc.spec.ipFamilyPolicy = 'SingleStack';
      nodePorts(svc);
    },
    update(svc, old) {
      svc.spec.clusterIP ??= old.spec.clusterIP;
      svc.spec.clusterIPs ??= old.spec.clusterIPs;
      for (const port of svc.spec.ports ?? []) {
        const same = (old.spec.ports ?? []).find((p: any) => p.port === port.port);
        if (!port.nodePort && same?.nodePort) port.nodePort = same.nodePort;
      }
      nodePorts(svc, old);
    },
    delete(svc) {
      if (svc.spec.clusterIP && svc.spec.clusterIP !== 'None') pool.release(svc.spec.clusterIP);
      for (const port of svc.spec.ports ?? []) if (port.nodePort) usedNodePorts.delete(port.nodePort);
    },
  };
}
