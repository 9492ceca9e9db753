import { expect } from 'chai';
import { compareRecords, KNOWN_DIFFERENCES, runFidelitySequence, type FidelityRecord } from '../../../bench/lib/fidelity.js';
import { requireRealControlPlane } from '../controlplane/real-binaries.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The differential fidelity check: the same sequence (apply the demo, kill a pod, evict against a
 * PodDisruptionBudget, cordon and drain, power a node off until its pods are evicted, roll out, scale)
 * on both control planes. The status codes, the object fields crt reads and the node taint sequences
 * must match, except the differences the fidelity table of docs/embedded-cluster/fidelity.md explains; timings are only printed.
 */
describe('fidelity: the builtin control plane against the real one, on the same sequence', function () {
  this.timeout(600_000);
  let builtin: FidelityRecord;
  let kubernetes: FidelityRecord;
  let work: Awaited<ReturnType<typeof tempDir>>;

  before(async function () {
    await requireRealControlPlane(this);
    work = await tempDir();
    builtin = await runFidelitySequence('builtin', work.dir);
    kubernetes = await runFidelitySequence('kubernetes', work.dir);
    for (const s of builtin.steps) {
      const k = kubernetes.steps.find((x) => x.step === s.step);
      process.stdout.write(`      ${s.step}: builtin ${JSON.stringify(s.timingsMs)} | kubernetes ${JSON.stringify(k?.timingsMs)}\n`);
    }
  });

  after(async () => {
    await work?.remove();
  });

  it('answers every call of the sequence with the same status code on both (eviction: 429 against the budget, then 201)', () => {
    const codes = (r: FidelityRecord) => Object.fromEntries(r.steps.map((s) => [s.step, s.codes]));
    expect(codes(builtin)).to.deep.equal(codes(kubernetes));
    expect(kubernetes.steps.find((s) => s.step === 'pdb-evict')?.codes).to.include({ evictRefused: 429, evictAllowed: 201 });
  });

  it('gives a powered-off node and a cordoned one the same condition and taint sequence on both', () => {
    const states = (r: FidelityRecord) => r.steps.filter((s) => s.facts.nodeStates).map((s) => [s.step, s.facts.nodeStates]);
    expect(states(builtin)).to.deep.equal(states(kubernetes));
    const off = kubernetes.steps.find((s) => s.step === 'node-power-off')!.facts.nodeStates as string[];
    expect(off.some((x) => x.includes('node.kubernetes.io/unreachable:NoExecute'))).to.equal(true);
  });

  it('differs from the real control plane only where the fidelity table of the docs says so', () => {
    const diffs = compareRecords(builtin, kubernetes);
    const unexplained = diffs.filter((d) => !KNOWN_DIFFERENCES[d.id]);
    expect(unexplained, 'differences not in the fidelity table (fix builtin, or explain them in KNOWN_DIFFERENCES and docs/embedded-cluster/fidelity.md)').to.deep.equal([]);
    const stale = Object.keys(KNOWN_DIFFERENCES).filter((id) => !diffs.some((d) => d.id === id));
    if (stale.length) process.stdout.write(`      explained differences no longer seen: ${stale.join(', ')}\n`);
  });
});
