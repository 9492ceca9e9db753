import { expect } from 'chai';
import { silentLogger } from '../../../src/core/index.js';
import { Journal, type FaultDefinition, type JournalEntry, type JournalStore } from '../../../src/faults/index.js';
import type { ActionSpec } from '../../../src/plan/types.js';
import type { CaseEvent } from '../../../src/results/types.js';
import { REVERT_ATTEMPTS, REVERT_RETRY_MS } from '../../../src/runner/revert.js';
import { Timeline } from '../../../src/runner/timeline.js';
import { ManualClock, settle } from '../../helpers/manual-clock.js';

/** Everything that happened, in order: journal writes, the faults' acts and reverts. */
type Trace = string[];

class TraceStore implements JournalStore {
  readonly name = 'trace';
  refuse = false;
  constructor(private readonly trace: Trace) {}
  async append(e: JournalEntry): Promise<void> {
    if (this.refuse) throw new Error('disk full');
    this.trace.push(`journal ${e.step} ${e.status}`);
  }
}

/** A fault that acts on nothing but the trace; its reverts fail `failReverts` times first. */
function traceFault(trace: Trace, clock: ManualClock, opts: { failReverts?: number } = {}): FaultDefinition {
  let failures = opts.failReverts ?? 0;
  return {
    namespaceRule: 'local',
    create: (action) => ({
      plan: async () => ({
        summary: `fake ${action.name}`,
        targets: [action.name],
        revert: { fault: 'exec', step: action.name },
        apply: async () => {
          trace.push(`apply ${action.name} @${clock.now() - ORIGIN}`);
          return {};
        },
      }),
    }),
    revert: async (record) => {
      if (failures-- > 0) throw new Error('the API refused');
      trace.push(`revert ${String(record.step)} @${clock.now() - ORIGIN}`);
      return `reverted ${String(record.step)}`;
    },
  };
}

const ORIGIN = 10_000;

function action(name: string, atMs: number, revertAfterMs: number | null = null): ActionSpec {
  return { kind: 'exec', name, description: null, atMs, revertAfterMs, params: { command: 'true' }, ref: null, location: { file: 'plan.yaml', line: 1, col: 1, path: name } };
}

interface Setup {
  clock: ManualClock;
  trace: Trace;
  store: TraceStore;
  events: Array<Partial<CaseEvent>>;
  ends: number[];
  timeline: Timeline;
}

function setup(actions: ActionSpec[], fault: (trace: Trace, clock: ManualClock) => FaultDefinition = traceFault): Setup {
  const clock = new ManualClock();
  clock.mono = ORIGIN;
  const trace: Trace = [];
  const store = new TraceStore(trace);
  const events: Array<Partial<CaseEvent>> = [];
  const ends: number[] = [];
  const def = fault(trace, clock);
  const timeline = new Timeline(actions, {
    runId: 'run-1', caseId: 'case-1', planDir: '/nonexistent', clock, log: silentLogger,
    journal: new Journal('run-1', [store], () => new Date(clock.wallNow())),
    emit: (e) => events.push(e), signal: new AbortController().signal,
    onFaultStart: () => undefined, onFaultEnd: (o) => ends.push(o),
    faults: () => def,
  });
  return { clock, trace, store, events, ends, timeline };
}

describe('Timeline on a manual clock', () => {
  it('injects each action at its offset from the origin, not before', async () => {
    const s = setup([action('a', 2000)]);
    s.timeline.start(ORIGIN);
    await s.clock.advance(1999);
    expect(s.trace).to.deep.equal([]);
    await s.clock.advance(1);
    expect(s.trace).to.deep.equal(['journal a intended', 'apply a @2000', 'journal a applied']);
    expect(s.timeline.injections.map((i) => [i.action.name, i.atMs, i.revertedAtMs])).to.deep.equal([['a', 2000, null]]);
    await s.timeline.finish();
  });

  it('journals the intent with its revert before the fault acts, and does not act when the journal refuses it', async () => {
    const s = setup([action('a', 0)]);
    s.store.refuse = true;
    s.timeline.start(ORIGIN);
    await s.clock.advance(0);
    expect(s.trace, 'nothing acted').to.deep.equal([]);
    expect(s.timeline.injectFailures).to.deep.equal(['a: not injected: the journal could not record it (disk full)']);
    expect(s.events.map((e) => [e.kind, e.ok])).to.deep.equal([['inject', false]]);
    await s.timeline.finish();
    expect(s.trace, 'nothing to revert').to.deep.equal([]);
    expect(s.ends).to.deep.equal([0]);
  });

  it('reverts two live faults newest first at finish, each journaled', async () => {
    const s = setup([action('first', 0), action('second', 1000)]);
    s.timeline.start(ORIGIN);
    await s.clock.advance(5000);
    await s.timeline.finish();
    expect(s.trace).to.deep.equal([
      'journal first intended', 'apply first @0', 'journal first applied',
      'journal second intended', 'apply second @1000', 'journal second applied',
      'revert second @5000', 'journal second reverted',
      'revert first @5000', 'journal first reverted',
    ]);
    expect(s.timeline.revertFailures).to.deep.equal([]);
    expect(s.ends).to.deep.equal([5000]);
  });

  it('reverts at revertAfter from the injection, and a case without load settles then', async () => {
    const s = setup([action('a', 1000, 2000)]);
    s.timeline.start(ORIGIN);
    let settled = false;
    void s.timeline.settled(new AbortController().signal).then(() => (settled = true));
    await s.clock.advance(2999);
    expect(s.trace.filter((t) => t.startsWith('revert'))).to.deep.equal([]);
    expect(settled).to.equal(false);
    await s.clock.advance(1);
    expect(s.trace.filter((t) => t.startsWith('revert'))).to.deep.equal(['revert a @3000']);
    expect(settled).to.equal(true);
    expect(s.timeline.injections[0]?.revertedAtMs).to.equal(3000);
    expect(s.ends).to.deep.equal([3000]);
    await s.timeline.finish();
    expect(s.trace.filter((t) => t.startsWith('revert')), 'not reverted twice').to.have.length(1);
  });

  it('finish cancels the steps not yet due: neither injected nor reverted later', async () => {
    const s = setup([action('early', 0, 60_000), action('late', 10_000)]);
    s.timeline.start(ORIGIN);
    await s.clock.advance(5000);
    await s.timeline.finish();
    expect(s.events.filter((e) => e.kind === 'note').map((e) => e.detail)).to.deep.equal([
      '1 action(s) not injected: the case ended first', 'reverting early: fake early',
    ]);
    expect(s.clock.pending, 'no timer left behind').to.equal(0);
    const before = [...s.trace];
    await s.clock.advance(120_000);
    expect(s.trace, 'nothing happened after finish').to.deep.equal(before);
    expect(s.trace.filter((t) => t.startsWith('apply'))).to.deep.equal(['apply early @0']);
    expect(s.trace.filter((t) => t.startsWith('revert'))).to.deep.equal(['revert early @5000']);
  });

  it('retries a failing revert a second apart on the clock, and collects it once it fails every attempt', async () => {
    const s = setup([action('a', 0)], (trace, clock) => traceFault(trace, clock, { failReverts: REVERT_ATTEMPTS }));
    s.timeline.start(ORIGIN);
    await s.clock.advance(0);
    let finished = false;
    const finishing = s.timeline.finish().then(() => (finished = true));
    await settle();
    await s.clock.advance(REVERT_RETRY_MS * (REVERT_ATTEMPTS - 1) - 1);
    expect(finished, 'still waiting for the last attempt').to.equal(false);
    await s.clock.advance(1);
    await finishing;
    expect(s.timeline.revertFailures).to.deep.equal([`case-1/a: the API refused`]);
    expect(s.trace.at(-1)).to.equal('journal a revert-failed');
    expect(s.events.filter((e) => e.kind === 'revert').map((e) => [e.ok, e.detail])).to.deep.equal([
      [false, `revert failed after ${REVERT_ATTEMPTS} attempts: the API refused`],
    ]);
  });
});
