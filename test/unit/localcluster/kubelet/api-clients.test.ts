import { expect } from 'chai';
import { ApiException, type CoordinationV1Api, type CoreV1Api } from '@kubernetes/client-node';
import { silentLogger } from '../../../../src/core/index.js';
import { ConfigLookups, references } from '../../../../src/localcluster/kubelet/config-lookup.js';
import { KubeletEvents } from '../../../../src/localcluster/kubelet/kubelet-events.js';
import { NodeReporter } from '../../../../src/localcluster/kubelet/node-reporter.js';
import { ManualClock, settle } from '../../../helpers/manual-clock.js';

const notFound = () => new ApiException(404, 'Not Found', { message: 'not found' }, {});
const conflict = () => new ApiException(409, 'Conflict', { message: 'exists' }, {});

describe('the API kubelet clients', () => {
  describe('references', () => {
    it('lists each ConfigMap and Secret a pod refers to once, init containers included', () => {
      const pod = {
        spec: {
          initContainers: [{ envFrom: [{ secretRef: { name: 's1' } }] }],
          containers: [
            { envFrom: [{ configMapRef: { name: 'c1' } }], env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'c1', key: 'a' } } }] },
            { env: [{ name: 'B', valueFrom: { secretKeyRef: { name: 's2', key: 'b' } } }, { name: 'C', value: 'x' }] },
          ],
        },
      };
      expect(references(pod)).to.deep.equal([['Secret', 's1'], ['ConfigMap', 'c1'], ['Secret', 's2']]);
    });
  });

  describe('ConfigLookups', () => {
    it('answers from what prefetch read, Secrets decoded, and reads a missing object again for the next lookup', async () => {
      const clock = new ManualClock();
      const maps = new Map<string, Record<string, string>>([['c1', { a: '1' }]]);
      const reads: string[] = [];
      const core = {
        readNamespacedConfigMap: async ({ name }: { name: string }) => {
          reads.push(`cm/${name}`);
          const data = maps.get(name);
          if (!data) throw notFound();
          return { data };
        },
        readNamespacedSecret: async ({ name }: { name: string }) => {
          reads.push(`secret/${name}`);
          return { data: { token: Buffer.from(`${name}-value`).toString('base64') } };
        },
      } as unknown as CoreV1Api;
      const lookups = new ConfigLookups(core, () => clock.now(), silentLogger, 5000);
      await lookups.prefetch({ metadata: { namespace: 'ns' }, spec: { containers: [{ envFrom: [{ configMapRef: { name: 'c1' } }, { configMapRef: { name: 'c2' } }, { secretRef: { name: 's' } }] }] } });
      expect(lookups.lookup('ConfigMap', 'ns', 'c1')).to.deep.equal({ a: '1' });
      expect(lookups.lookup('Secret', 'ns', 's')).to.deep.equal({ token: 's-value' });
      expect(lookups.lookup('ConfigMap', 'ns', 'c2')).to.equal(undefined);
      expect(reads).to.deep.equal(['cm/c1', 'cm/c2', 'secret/s']);
      // created since: the held answer is older than the TTL, so a lookup reads it again
      maps.set('c2', { b: '2' });
      clock.mono += 6000;
      expect(lookups.lookup('ConfigMap', 'ns', 'c2')).to.equal(undefined);
      await settle();
      expect(lookups.lookup('ConfigMap', 'ns', 'c2')).to.deep.equal({ b: '2' });
    });
  });

  describe('KubeletEvents', () => {
    it('records a core/v1 Event with the kubelet source, and a repeat bumps its count', async () => {
      const clock = new ManualClock();
      const created: any[] = [];
      const patched: any[] = [];
      const core = {
        createNamespacedEvent: async (req: any) => void created.push(req),
        patchNamespacedEvent: async (req: any) => void patched.push(req),
      } as unknown as CoreV1Api;
      const events = new KubeletEvents(core, 'node-1', clock, silentLogger);
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1' } };
      await events.record(pod, { type: 'Normal', reason: 'Started', message: 'Started container c', fieldPath: 'spec.containers{c}' });
      clock.wall += 2000;
      await events.record(pod, { type: 'Normal', reason: 'Started', message: 'Started container c', fieldPath: 'spec.containers{c}' });
      expect(created).to.have.length(1);
      expect(created[0].namespace).to.equal('ns');
      expect(created[0].body).to.deep.include({ reason: 'Started', type: 'Normal', count: 1, source: { component: 'kubelet', host: 'node-1' }, reportingComponent: 'kubelet', reportingInstance: 'node-1' });
      expect(created[0].body.involvedObject).to.deep.equal({ kind: 'Pod', namespace: 'ns', name: 'p', uid: 'u1', apiVersion: 'v1', fieldPath: 'spec.containers{c}' });
      expect(patched).to.deep.equal([{ name: created[0].body.metadata.name, namespace: 'ns', body: { count: 2, lastTimestamp: '2026-12-07T12:00:02Z' } }]);
    });
  });

  describe('NodeReporter', () => {
    function fakes() {
      const calls: string[] = [];
      let lease: any;
      const core = {
        createNode: async () => {
          calls.push('createNode');
          throw conflict();
        },
        patchNode: async () => void calls.push('patchNode'),
        patchNodeStatus: async ({ body }: any) => {
          calls.push('patchNodeStatus');
          return { metadata: { name: 'node-1', uid: 'n-uid' }, spec: { podCIDR: '127.10.1.0/24' }, status: body.status };
        },
      } as unknown as CoreV1Api;
      const coordination = {
        readNamespacedLease: async () => {
          calls.push('readLease');
          if (!lease) throw notFound();
          return lease;
        },
        createNamespacedLease: async ({ body }: any) => {
          calls.push('createLease');
          return (lease = JSON.parse(JSON.stringify(body)));
        },
        replaceNamespacedLease: async ({ body }: any) => {
          calls.push('replaceLease');
          return (lease = JSON.parse(JSON.stringify(body)));
        },
      } as unknown as CoordinationV1Api;
      return { calls, core, coordination, lease: () => lease };
    }

    it('takes over an existing Node with a status post, and keeps condition transition times until a reboot', async () => {
      const clock = new ManualClock();
      const f = fakes();
      const reporter = new NodeReporter(f.core, f.coordination, { name: 'node-1', ip: '127.1.0.1' }, clock, 40);
      const first = await reporter.register();
      expect(f.calls).to.deep.equal(['createNode', 'patchNode', 'patchNodeStatus']);
      const ready = (n: any) => n.status.conditions.find((c: any) => c.type === 'Ready');
      expect(ready(first)).to.include({ status: 'True', lastHeartbeatTime: '2026-12-07T12:00:00Z', lastTransitionTime: '2026-12-07T12:00:00Z' });
      clock.wall += 10_000;
      const beat = await reporter.postStatus();
      expect(ready(beat)).to.include({ lastHeartbeatTime: '2026-12-07T12:00:10Z', lastTransitionTime: '2026-12-07T12:00:00Z' });
      const boot = reporter.bootID;
      reporter.reboot();
      clock.wall += 10_000;
      const after = await reporter.postStatus();
      expect(reporter.bootID).to.not.equal(boot);
      expect(after.status?.nodeInfo?.bootID).to.equal(reporter.bootID);
      expect(ready(after)).to.include({ lastTransitionTime: '2026-12-07T12:00:20Z' });
    });

    it('creates the Lease owned by the Node, then renews it with a six-digit MicroTime', async () => {
      const clock = new ManualClock();
      const f = fakes();
      const reporter = new NodeReporter(f.core, f.coordination, { name: 'node-1', ip: '127.1.0.1' }, clock, 40);
      await reporter.register();
      await reporter.renewLease();
      expect(f.lease().metadata).to.deep.include({ name: 'node-1', namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'n-uid' }] });
      expect(f.lease().spec).to.deep.equal({ holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-12-07T12:00:00.000000Z' });
      clock.wall += 10_250;
      await reporter.renewLease();
      expect(f.lease().spec.renewTime).to.equal('2026-12-07T12:00:10.250000Z');
      expect(f.calls.filter((c) => c.includes('Lease'))).to.deep.equal(['readLease', 'createLease', 'replaceLease']);
    });
  });
});
