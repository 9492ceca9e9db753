import { expect } from 'chai';
import { ownerGone, type OwnerRecord, type ProcessView } from '../../../../src/localcluster/netns/index.js';

const ours = 'pid:[4026531836]';
const other = 'pid:[4026532001]';

function view(over: Partial<ProcessView> & { running?: [number, number][]; members?: Record<string, { nsPid: number; startTicks: number }[]> } = {}): ProcessView {
  return {
    bootId: 'boot-1',
    pidNs: ours,
    seesAllPidNs: true,
    runs: (pid, start) => (over.running ?? []).some(([p, s]) => p === pid && s === start),
    membersOf: (ns) => over.members?.[ns] ?? [],
    ...over,
  };
}

const record = (over: Partial<OwnerRecord> = {}): OwnerRecord => ({ id: 'x', pid: 100, startTicks: 5000, pidNs: ours, bootId: 'boot-1', ...over });

describe('ownerGone', () => {
  it('keeps a fabric whose owner runs in our pid namespace', () => {
    expect(ownerGone(record(), view({ running: [[100, 5000]] }))).to.equal(false);
  });

  it('gives up a fabric whose owner pid is gone or was reused by a later process', () => {
    expect(ownerGone(record(), view({ running: [] }))).to.equal(true);
    expect(ownerGone(record(), view({ running: [[100, 9999]] }))).to.equal(true);
  });

  it('gives up a fabric of an earlier boot whatever runs now', () => {
    expect(ownerGone(record({ bootId: 'boot-0' }), view({ running: [[100, 5000]] }))).to.equal(true);
  });

  it('looks an owner of another pid namespace up by its pid there and its start time', () => {
    const r = record({ pidNs: other, pid: 7 });
    expect(ownerGone(r, view({ members: { [other]: [{ nsPid: 1, startTicks: 4000 }, { nsPid: 7, startTicks: 5000 }] } }))).to.equal(false);
    expect(ownerGone(r, view({ members: { [other]: [{ nsPid: 1, startTicks: 4000 }] } }))).to.equal(true);
    // our pid 7 is another process: a pid of another namespace is never looked up in ours
    expect(ownerGone(r, view({ running: [[7, 5000]], members: { [other]: [{ nsPid: 1, startTicks: 4000 }] } }))).to.equal(true);
  });

  it('takes a pid namespace with no visible process for gone only when every pid namespace is visible', () => {
    const r = record({ pidNs: other });
    expect(ownerGone(r, view({ seesAllPidNs: true }))).to.equal(true);
    // from inside a pid namespace of our own, a sibling's processes cannot be seen: unknown, so kept
    expect(ownerGone(r, view({ seesAllPidNs: false }))).to.equal(false);
  });
});
