import type { V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { CONTROL_PLANE_SWITCH_ANNOTATION, inClusterUrl, LOOPBACK_ADDRESS_ANNOTATION, type KubeClients } from '../../../src/kube/index.js';

/**
 * Clients whose only calls are Namespace kube-system (marked as the embedded cluster on the real control plane
 * marks it, unless `real` is false) and the list of every Service (what inClusterUrl reads); `fail` makes the list throw.
 */
function clients(services: V1Service[], fail = false, real = true): KubeClients & { listed: number } {
  const k = {
    listed: 0,
    core: {
      readNamespace: async () => ({ metadata: { name: 'kube-system', annotations: real ? { [CONTROL_PLANE_SWITCH_ANNOTATION]: 'http://127.0.0.1:40123' } : {} } }),
      listServiceForAllNamespaces: async () => {
        k.listed++;
        if (fail) throw new Error('forbidden');
        return { items: services };
      },
    },
  };
  return k as unknown as KubeClients & { listed: number };
}

const gateway: V1Service = {
  metadata: { name: 'gateway', namespace: 'demo', annotations: { [LOOPBACK_ADDRESS_ANNOTATION]: '127.20.0.3' } },
  spec: { clusterIP: '198.19.0.12', ports: [{ port: 80 }] },
};

describe('inClusterUrl: where a pod reaches the Service behind a URL of this machine', () => {
  it('maps kube-proxy\'s loopback address of a Service to its ClusterIP, keeping port, path and query', async () => {
    expect(await inClusterUrl(clients([gateway]), 'http://127.20.0.3:80')).to.equal('http://198.19.0.12');
    expect(await inClusterUrl(clients([gateway]), 'http://127.20.0.3:8080/customers/3?x=1')).to.equal('http://198.19.0.12:8080/customers/3?x=1');
  });

  it('leaves a URL that is not on loopback as it is, without asking the API', async () => {
    const k = clients([gateway]);
    expect(await inClusterUrl(k, 'http://gateway.demo.svc:80/x')).to.equal('http://gateway.demo.svc:80/x');
    expect(k.listed).to.equal(0);
  });

  it('leaves a loopback URL no Service names (or a headless one, or an unreadable list) as it is', async () => {
    expect(await inClusterUrl(clients([gateway]), 'http://127.0.0.1:9000/x')).to.equal('http://127.0.0.1:9000/x');
    const headless = { ...gateway, spec: { clusterIP: 'None' } };
    expect(await inClusterUrl(clients([headless]), 'http://127.20.0.3:80')).to.equal('http://127.20.0.3:80');
    expect(await inClusterUrl(clients([gateway], true), 'http://127.20.0.3:80')).to.equal('http://127.20.0.3:80');
  });

  it('lists no Service on a cluster that is not the embedded one on the real control plane (builtin: its loopback address is the ClusterIP)', async () => {
    const k = clients([gateway], false, false);
    expect(await inClusterUrl(k, 'http://127.20.0.3:80')).to.equal('http://127.20.0.3:80');
    expect(k.listed).to.equal(0);
  });
});
