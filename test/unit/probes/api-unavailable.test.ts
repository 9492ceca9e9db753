import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import type { KubeClients } from '../../../src/kube/index.js';
import type { ProbeSpec } from '../../../src/plan/types.js';
import { kubeProbe } from '../../../src/probes/kube-common.js';
import type { ProbeContext } from '../../../src/probes/probe.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const spec: ProbeSpec = { kind: 'deployment-available', name: 'demo-available', description: null, timeoutMs: 10_000, waitForMs: 0, params: {}, location: { file: 'plan.yaml', line: 1, col: 1, path: 'expect.probes[0]' } };
/** lets the probe reach its next sleep before the clock moves */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const refused = () => Object.assign(new Error('request to https://127.0.0.1:6443/apis failed'), { cause: { code: 'ECONNREFUSED' } });

describe('Kubernetes probes while the API is unavailable', () => {
  const ctx = (clock: ManualClock, signal: AbortSignal): ProbeContext => ({
    clock, log: silentLogger, signal, planDir: '.', targets: { resolve: () => Promise.reject(new Error('no targets')) }, kube: { server: 'https://127.0.0.1:6443' } as KubeClients,
  });

  it('waits for the API within the probe\'s timeout and passes once it answers', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const probe = kubeProbe(spec, async () => {
      calls++;
      if (calls < 3) throw refused();
      return { ok: true, detail: 'demo: 3/3 ready' };
    });
    const outcome = probe.check(ctx(clock, new AbortController().signal));
    await settle();
    await clock.advance(1000);
    await settle();
    await clock.advance(1000);
    expect(await outcome).to.deep.equal({ ok: true, detail: 'demo: 3/3 ready' });
    expect(calls).to.equal(3);
  });

  it('says "API unavailable since" when its timeout ends before the API answers, not the connection error alone', async () => {
    const clock = new ManualClock();
    const timeout = new AbortController();
    const probe = kubeProbe(spec, async () => { throw refused(); });
    const outcome = probe.check(ctx(clock, timeout.signal));
    await settle();
    await clock.advance(1000);
    await settle();
    timeout.abort();
    expect(await outcome).to.deep.equal({ ok: false, detail: 'deployment-available on https://127.0.0.1:6443: API unavailable since 2026-12-07T12:00:00.000Z (ECONNREFUSED)' });
  });

  it('fails at once on an error that is not the API\'s absence (a refusal is the probe\'s answer)', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const probe = kubeProbe(spec, async () => { calls++; throw new Error('forbidden: deployments.apps is forbidden'); });
    const outcome = await probe.check(ctx(clock, new AbortController().signal));
    expect(outcome.ok).to.equal(false);
    expect(outcome.detail).to.equal('deployment-available on https://127.0.0.1:6443: forbidden: deployments.apps is forbidden');
    expect(calls).to.equal(1);
  });
});
