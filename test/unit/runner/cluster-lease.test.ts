import type { V1Lease } from '@kubernetes/client-node';
import { expect } from 'chai';
import { EnvironmentError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/index.js';
import { LEASES } from '../../../src/localcluster/api/lease.js';
import { ApiError, type KObject } from '../../../src/localcluster/api/types.js';
import { Store } from '../../../src/localcluster/store/store.js';
import type { CaseSpec } from '../../../src/plan/types.js';
import { RunLease, needsRunLease } from '../../../src/runner/cluster-lease.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { RUN_LEASE_NAME, leaseObject, leaseState, type LeaseApi, type LeaseWrite } from '../../../src/runner/lease-api.js';

const START = Date.parse('2026-12-07T12:00:00.000Z');


/** The lease calls against the embedded cluster's store, in process: its 409s, 404s and MicroTime decoding. */
function storeApi(store: Store, namespace = 'default'): LeaseApi & { down: boolean } {
  const body = (w: LeaseWrite, rv?: string): KObject => JSON.parse(JSON.stringify(leaseObject(namespace, w, rv))) as KObject;
  const answer = <T extends string>(err: unknown, codes: Record<number, T>): T => {
    if (err instanceof ApiError && codes[err.code]) return codes[err.code]!;
    throw err;
  };
  const api = {
    where: `${namespace}/${RUN_LEASE_NAME}`,
    down: false,
    async read() {
      if (api.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      const obj = store.peek(LEASES, namespace, RUN_LEASE_NAME);
      return obj ? leaseState(JSON.parse(JSON.stringify(obj)) as V1Lease) : null;
    },
    async create(w: LeaseWrite) {
      if (api.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      try {
        return leaseState(JSON.parse(JSON.stringify(store.create(LEASES, namespace, body(w)))) as V1Lease);
      } catch (err) {
        return answer(err, { 409: 'exists', 404: 'no-namespace' } as const);
      }
    },
    async replace(rv: string, w: LeaseWrite) {
      if (api.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      try {
        return leaseState(JSON.parse(JSON.stringify(store.update(LEASES, namespace, RUN_LEASE_NAME, body(w, rv)))) as V1Lease);
      } catch (err) {
        return answer(err, { 409: 'conflict', 404: 'gone' } as const);
      }
    },
    async delete(rv: string) {
      if (api.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      try {
        store.delete(LEASES, namespace, RUN_LEASE_NAME, { preconditions: { resourceVersion: rv } });
        return 'deleted' as const;
      } catch (err) {
        return answer(err, { 409: 'conflict', 404: 'gone' } as const);
      }
    },
  };
  return api;
}

describe('run lease (one run per cluster), on a manual clock', () => {
  let clock: ManualClock;
  let store: Store;
  let notices: string[];
  const leases: RunLease[] = [];

  beforeEach(() => {
    clock = new ManualClock();
    store = new Store({ now: () => clock.wall });
    store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    notices = [];
  });

  afterEach(async () => {
    // stop every renewal loop the test started
    for (const l of leases.splice(0)) await l.release();
  });

  const lease = (runId: string, host = 'ci-1', api: LeaseApi = storeApi(store)): RunLease => {
    const l = new RunLease(api, 'default', { runId, clock, log: silentLogger, identity: { host, pid: 4242, crtVersion: '0.1.0' }, notify: (m) => notices.push(`${runId}: ${m}`) });
    leases.push(l);
    return l;
  };
  const stored = () => store.peek(LEASES, 'default', RUN_LEASE_NAME);
  const refusal = async (l: RunLease): Promise<EnvironmentError> => {
    try {
      await l.acquire();
    } catch (err) {
      if (err instanceof EnvironmentError) return err;
      throw err;
    }
    throw new Error('expected the lease to be refused');
  };

  it('takes a free lease: holder the run id, annotations host, pid, start time and crt version, 15 s', async () => {
    const a = lease('run-a');
    await a.acquire();
    expect(() => a.check()).not.to.throw();
    const l = stored()!;
    expect(l.spec).to.deep.include({ holderIdentity: 'run-a', leaseDurationSeconds: 15, leaseTransitions: 0, renewTime: '2026-12-07T12:00:00.000000Z', acquireTime: '2026-12-07T12:00:00.000000Z' });
    expect(l.metadata.annotations).to.deep.equal({ 'crt.io/host': 'ci-1', 'crt.io/pid': '4242', 'crt.io/started-at': '2026-12-07T12:00:00.000Z', 'crt.io/crt-version': '0.1.0' });
    expect(a.record).to.deep.equal({ name: 'crt-run-lock', namespace: 'default', durationSec: 15 });
    expect(notices).to.deep.equal([]);
  });

  it('refuses a second run while the lease is live, naming the holder, its host, start time and expiry, and changes nothing', async () => {
    await lease('run-a').acquire();
    await clock.advance(2_000);
    const before = stored()!.metadata.resourceVersion;
    const err = await refusal(lease('run-b', 'laptop'));
    expect(err.exitCode).to.equal(3);
    expect(err.message).to.equal('another crt run holds this cluster: run run-a on ci-1 (pid 4242, crt 0.1.0) since 2026-12-07T12:00:00.000Z; its lease default/crt-run-lock expires at 2026-12-07T12:00:15.000Z (in 13 s) unless renewed');
    expect(err.hint).to.match(/^one run per cluster: wait until run run-a ends, or stop it\. If it crashed, its lease lapses by itself 15 s after its last renewal/);
    expect(stored()!.metadata.resourceVersion).to.equal(before);
    expect(stored()!.spec.holderIdentity).to.equal('run-a');
  });

  it('renews every third of its duration for as long as the run lasts, so a later run is still refused', async () => {
    const a = lease('run-a');
    await a.acquire();
    await clock.advance(4_999);
    expect(stored()!.spec.renewTime).to.equal('2026-12-07T12:00:00.000000Z');
    await clock.advance(1);
    expect(stored()!.spec.renewTime).to.equal('2026-12-07T12:00:05.000000Z');
    await clock.advance(55_000);
    expect(stored()!.spec.renewTime).to.equal('2026-12-07T12:01:00.000000Z');
    expect(stored()!.spec.acquireTime, 'the acquire time stays').to.equal('2026-12-07T12:00:00.000000Z');
    expect(stored()!.metadata.annotations?.['crt.io/started-at']).to.equal('2026-12-07T12:00:00.000Z');
    expect((await refusal(lease('run-b'))).message).to.contain('expires at 2026-12-07T12:01:15.000Z (in 15 s)');
    expect(() => a.check()).not.to.throw();
  });

  it('takes over a lease whose holder stopped renewing only once its duration has passed, and reports it', async () => {
    // a run that crashed: its lease stays as it last renewed it
    const crashed = storeApi(store);
    await crashed.create({ holder: 'run-crashed', durationSec: 15, acquiredAtMs: START - 60_000, renewedAtMs: START, transitions: 2, annotations: { 'crt.io/host': 'ci-0', 'crt.io/pid': '77', 'crt.io/started-at': '2026-12-07T11:59:00.000Z' } });
    await clock.advance(14_999);
    expect((await refusal(lease('run-b'))).message).to.contain('run run-crashed on ci-0 (pid 77, crt unknown) since 2026-12-07T11:59:00.000Z');
    expect(stored()!.spec.holderIdentity).to.equal('run-crashed');
    await clock.advance(1);
    const b = lease('run-b');
    await b.acquire();
    expect(stored()!.spec).to.deep.include({ holderIdentity: 'run-b', leaseTransitions: 3, acquireTime: '2026-12-07T12:00:15.000000Z' });
    expect(b.record.takenOver).to.deep.equal({ runId: 'run-crashed', host: 'ci-0', pid: 77, startedAt: '2026-12-07T11:59:00.000Z', expiredAt: '2026-12-07T12:00:15.000Z' });
    expect(notices).to.deep.equal(['run-b: took over the run lease default/crt-run-lock from run run-crashed on ci-0 (pid 77, crt unknown) since 2026-12-07T11:59:00.000Z: it expired at 2026-12-07T12:00:15.000Z (that run crashed or lost the cluster; its faults are checked next)']);
  });

  it('loses the lease when another run took it: check() throws from then on and the release leaves the other run\'s lease', async () => {
    const a = lease('run-a');
    await a.acquire();
    store.mutate(LEASES, 'default', RUN_LEASE_NAME, (l) => {
      l.spec.holderIdentity = 'run-intruder';
      l.metadata.annotations = { 'crt.io/host': 'other', 'crt.io/started-at': '2026-12-07T12:00:01.000Z' };
    });
    expect(() => a.check(), 'not noticed before the next renewal').not.to.throw();
    await clock.advance(5_000);
    expect(() => a.check()).to.throw(EnvironmentError, 'the run lost its cluster lease default/crt-run-lock: taken by run run-intruder on other (crt unknown) since 2026-12-07T12:00:01.000Z');
    expect(a.record.lost).to.deep.equal({ at: '2026-12-07T12:00:05.000Z', reason: 'taken by run run-intruder on other (crt unknown) since 2026-12-07T12:00:01.000Z' });
    expect(notices).to.have.length(1);
    expect(notices[0]).to.match(/^run-a: LEASE LOST: .*no further fault is injected$/);
    await a.release();
    expect(stored()!.spec.holderIdentity).to.equal('run-intruder');
  });

  it('loses the lease when renewals fail for its whole duration for a reason other than the API\'s absence, and stays lost when they go through again', async () => {
    const api = storeApi(store);
    // a TLS failure: the API may well be up for others, so nothing says the lease is still this run's
    const a = lease('run-a', 'ci-1', { ...api, replace: async (rv, w) => { if (api.down) throw new Error('self-signed certificate in certificate chain'); return api.replace(rv, w); } });
    await a.acquire();
    api.down = true;
    await clock.advance(14_999);
    expect(() => a.check(), 'still within its duration').not.to.throw();
    await clock.advance(1);
    expect(() => a.check()).to.throw(EnvironmentError, 'not renewed for 15 s (its duration): another run may hold the cluster now');
    api.down = false;
    await clock.advance(10_000);
    expect(() => a.check()).to.throw(EnvironmentError, 'lost its cluster lease');
    expect(stored()!.spec.renewTime, 'no renewal after the loss').to.equal('2026-12-07T12:00:00.000000Z');
  });

  it('is unconfirmed, not lost, while the API is unavailable (connection refused): no fault injected, and confirmed by the next renewal', async () => {
    const api = storeApi(store);
    const refused = Object.assign(new Error('request failed'), { cause: { code: 'ECONNREFUSED' } });
    const unavailableApi: LeaseApi = { ...api, replace: async (rv, w) => { if (api.down) throw refused; return api.replace(rv, w); } };
    const a = lease('run-a', 'ci-1', unavailableApi);
    await a.acquire();
    api.down = true;
    await clock.advance(15_000);
    expect(() => a.check()).to.throw(EnvironmentError, 'the run cannot confirm its cluster lease default/crt-run-lock: API unavailable since 2026-12-07T12:00:05.000Z');
    expect(a.record.lost, 'not lost').to.equal(undefined);
    expect(notices).to.deep.equal(['run-a: run lease default/crt-run-lock not renewed for 15 s: API unavailable since 2026-12-07T12:00:05.000Z; no fault is injected until the API answers and a renewal confirms the lease']);
    api.down = false;
    // renewed within a second of the API's return, not a third of the duration later
    await clock.advance(1_000);
    expect(() => a.check()).not.to.throw();
    expect(stored()!.spec.renewTime).to.equal('2026-12-07T12:00:16.000000Z');
    expect(notices[1]).to.equal('run-a: run lease default/crt-run-lock confirmed again: the API answered after 11 s unavailable, and nobody took the lease meanwhile');
  });

  it('loses an unconfirmed lease that another run took once the API was back (the renewal\'s conflict says so)', async () => {
    const api = storeApi(store);
    const refused = Object.assign(new Error('request failed'), { cause: { code: 'ECONNREFUSED' } });
    const a = lease('run-a', 'ci-1', { ...api, replace: async (rv, w) => { if (api.down) throw refused; return api.replace(rv, w); } });
    await a.acquire();
    api.down = true;
    await clock.advance(15_000);
    store.mutate(LEASES, 'default', RUN_LEASE_NAME, (l) => { l.spec.holderIdentity = 'run-b'; });
    api.down = false;
    await clock.advance(1_000);
    expect(() => a.check()).to.throw(EnvironmentError, 'the run lost its cluster lease default/crt-run-lock: taken by');
  });

  it('releases by deleting its lease, also after a write by someone else that left it the holder', async () => {
    const a = lease('run-a');
    await a.acquire();
    store.mutate(LEASES, 'default', RUN_LEASE_NAME, (l) => {
      l.metadata.labels = { ...l.metadata.labels, touched: 'yes' };
    });
    await a.release();
    expect(stored()).to.equal(undefined);
    expect(a.record.released).to.equal(true);
    const b = lease('run-b');
    await b.acquire();
    expect(b.record.takenOver, 'a released lease is simply taken').to.equal(undefined);
    expect(() => a.check()).to.throw(EnvironmentError, 'does not hold');
  });

  it('lets exactly one of two runs starting at once take the lease (the other is refused by the 409)', async () => {
    const [a, b] = [lease('run-a'), lease('run-b')];
    const results = await Promise.allSettled([a.acquire(), b.acquire()]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected']);
    expect(((results[1] as PromiseRejectedResult).reason as Error).message).to.contain('another crt run holds this cluster: run run-a on ci-1');
    expect(stored()!.spec.holderIdentity).to.equal('run-a');
  });

  it('refuses a missing journal namespace before anything acts (exit 3, with the fix)', async () => {
    const err = await refusal(new RunLease(storeApi(store, 'crt'), 'crt', { runId: 'run-a', clock, log: silentLogger }));
    expect(err.message).to.equal('the journal namespace crt does not exist (cannot create the run lease crt/crt-run-lock)');
    expect(err.hint).to.equal('create it (kubectl create namespace crt) or set cluster.journalNamespace in the plan to an existing namespace');
  });

  it('is needed by runs with a trigger step or --revert-first, not by read-only runs', () => {
    const c = (trigger: unknown[]) => ({ trigger }) as unknown as CaseSpec;
    expect(needsRunLease([c([]), c([])], false)).to.equal(false);
    expect(needsRunLease([c([]), c([{ kind: 'scale' }])], false)).to.equal(true);
    expect(needsRunLease([c([])], true)).to.equal(true);
  });
});
