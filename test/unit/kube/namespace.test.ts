import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { UsageError, silentLogger, systemClock } from '../../../src/core/index.js';
import { FaultError, builtinFaults, type FaultContext } from '../../../src/faults/index.js';
import { contextNamespace, type KubeClients } from '../../../src/kube/index.js';
import { faultNamespace, type CaseSpec, type Plan } from '../../../src/plan/index.js';
import { probeNamespace } from '../../../src/probes/kube-common.js';
import { caseNamespaces } from '../../../src/runner/case-runner.js';
import { checkNamespaces } from '../../../src/runner/cluster-guard.js';
import { planNamespaces } from '../../../src/runner/traceability.js';
import { action } from '../../helpers/action.js';

/** A kubeconfig whose current context has `namespace` (none when undefined). */
function kubeconfig(namespace?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) }],
    currentContext: 'ctx',
  });
  return kc;
}

/** Clients whose pod list records the namespace it was asked for, and finds no pod there. */
function recordingKube(kc: KubeConfig): { kube: KubeClients; listed: string[] } {
  const listed: string[] = [];
  const core = { listNamespacedPod: async (req: { namespace: string }) => (listed.push(req.namespace), { items: [] }) };
  return { kube: { kc, core, apps: {}, batch: {}, server: 'https://127.0.0.1:6443' } as unknown as KubeClients, listed };
}

const faultContext = (kube: KubeClients): FaultContext => ({ runId: 'r', caseId: 'C', step: 's', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: '.', kube });

/** Just what caseNamespaces and the namespace checks read of a case. */
const caseOf = (trigger: CaseSpec['trigger']): CaseSpec => ({ id: 'C', trigger, conditions: [], expect: { probes: [] } }) as unknown as CaseSpec;

describe('the one namespace default: the kubeconfig context\'s, as kubectl', () => {
  it('is the current context\'s namespace, else default, else default without a kubeconfig', () => {
    expect(contextNamespace(kubeconfig('shop'))).to.equal('shop');
    expect(contextNamespace(kubeconfig())).to.equal('default');
    expect(contextNamespace(undefined)).to.equal('default');
  });

  it('a pod-kill without namespace lists and refuses in the context\'s namespace, not in default', async () => {
    const { kube, listed } = recordingKube(kubeconfig('shop'));
    const err = await builtinFaults['pod-kill'].create(action('pod-kill', { selector: 'app=web', count: 1 })).plan(faultContext(kube)).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.equal('no running pod matches app=web in namespace shop');
    expect(listed).to.deep.equal(['shop']);
  });

  it('a pod-kill that names its namespace acts there whatever the context says', async () => {
    const { kube, listed } = recordingKube(kubeconfig('shop'));
    await builtinFaults['pod-kill'].create(action('pod-kill', { namespace: 'demo', selector: 'app=web' })).plan(faultContext(kube)).catch(() => undefined);
    expect(listed).to.deep.equal(['demo']);
  });

  it('probes, the cluster view, the allowlist check and the run\'s image record agree with the faults', () => {
    const kc = kubeconfig('shop');
    const { kube } = recordingKube(kc);
    const unnamed = action('pod-kill', { selector: 'app=web' });
    expect(probeNamespace(kube, {})).to.equal('shop');
    expect(faultNamespace(unnamed, contextNamespace(kc))).to.deep.equal({ namespace: 'shop', key: ['namespace'] });
    expect(caseNamespaces(caseOf([unnamed]), { cluster: { kube } })).to.deep.equal(['shop']);
    const plan = { cluster: {}, targets: {} } as unknown as Plan;
    expect(planNamespaces(plan, [caseOf([unnamed])], contextNamespace(kc))).to.deep.equal(['shop']);
    const allowDemo = { cluster: { namespaces: ['demo'] }, targets: {} } as unknown as Plan;
    expect(() => checkNamespaces(allowDemo, [caseOf([unnamed])], 'shop')).to.throw(UsageError, /: pod-kill in namespace shop$/);
    expect(() => checkNamespaces(allowDemo, [caseOf([unnamed])], 'demo')).not.to.throw();
  });

  it('leaves a step that names no namespace to the run\'s check while no cluster is open', () => {
    expect(faultNamespace(action('pod-kill', { selector: 'app=web' }), null)).to.equal(null);
    expect(faultNamespace(action('node-drain', { nodeOf: { selector: 'app=web' } }), 'shop')).to.deep.equal({ namespace: 'shop', key: ['nodeOf', 'namespace'] });
    expect(faultNamespace(action('node-drain', { node: 'n1' }), 'shop')).to.equal(null);
    expect(faultNamespace(action('exec', { command: 'true' }), 'shop')).to.equal(null);
  });
});
