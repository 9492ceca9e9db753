import { expect } from 'chai';
import type { CoreV1Event } from '@kubernetes/client-node';
import { KeyEvents, eventInstant, isKeyEvent } from '../../../src/runner/cluster-events.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0, 400);

/** An Event as a watch delivers it: times as the JSON strings the API server wrote. */
function event(reason: string, extra: Partial<CoreV1Event> & Record<string, unknown> = {}): CoreV1Event {
  return {
    metadata: { name: `gateway-1.${reason}`, namespace: 'demo', uid: `uid-${reason}` },
    involvedObject: { kind: 'Pod', namespace: 'demo', name: 'gateway-1' },
    reason, type: 'Normal', message: `${reason} happened`, count: 1,
    source: { component: 'kubelet' },
    ...extra,
  };
}

describe('runner/cluster events: which Kubernetes Events the cluster view keeps, and when they happened', () => {
  it('keeps every Warning and the Normal reasons that tell about capacity, not the noise of pod starts', () => {
    expect(isKeyEvent(event('Killing'))).to.equal(true);
    expect(isKeyEvent(event('SuccessfulRescale'))).to.equal(true);
    expect(isKeyEvent(event('Something', { type: 'Warning' }))).to.equal(true);
    for (const noise of ['Scheduled', 'Pulled', 'Created', 'Started']) expect(isKeyEvent(event(noise)), noise).to.equal(false);
  });

  it('takes the latest occurrence at its finest precision: series.lastObservedTime, else eventTime within lastTimestamp\'s second, else lastTimestamp', () => {
    expect(eventInstant(event('Killing', { eventTime: '2026-01-01T12:00:05.123456Z', lastTimestamp: '2026-01-01T12:00:05Z' } as never))).to.deep.equal({ t: Date.UTC(2026, 0, 1, 12, 0, 5, 123), precise: true });
    expect(eventInstant(event('BackOff', { eventTime: '2026-01-01T12:00:05.123456Z', lastTimestamp: '2026-01-01T12:00:09Z', count: 3 } as never))).to.deep.equal({ t: Date.UTC(2026, 0, 1, 12, 0, 9), precise: false });
    expect(eventInstant(event('BackOff', { eventTime: '2026-01-01T12:00:05.1Z', lastTimestamp: '2026-01-01T12:00:09Z', series: { count: 3, lastObservedTime: '2026-01-01T12:00:09.750Z' } } as never))!.t).to.equal(Date.UTC(2026, 0, 1, 12, 0, 9, 750));
    // listed objects come deserialized by client-node: Dates
    expect(eventInstant(event('Killing', { lastTimestamp: new Date(START) }))).to.deep.equal({ t: START, precise: false });
  });

  it('records an Event once per occurrence: a resync is no new occurrence, a raised count is', () => {
    const keep = new KeyEvents(START);
    const first = event('BackOff', { type: 'Warning', eventTime: new Date(START + 1000) });
    expect(keep.take(first)).to.deep.include({ t: START + 1000, kind: 'event', type: 'Warning', reason: 'BackOff', objectKind: 'Pod', object: 'demo/gateway-1', count: 1, uid: 'uid-BackOff', source: 'kubelet' });
    expect(keep.take(first)).to.equal(null);
    const again = { ...first, count: 2, series: { count: 2, lastObservedTime: new Date(START + 3000) } } as CoreV1Event;
    expect(keep.take(again)).to.deep.include({ t: START + 3000, count: 2 });
    expect(keep.take(again)).to.equal(null);
  });

  it('leaves out what happened before the watch started (the first list brings it), counting a second-precision time from its second', () => {
    const keep = new KeyEvents(START);
    expect(keep.take(event('Killing', { eventTime: new Date(START - 100) }))).to.equal(null);
    // 12:00:00 truncated: it may be from 12:00:00.400 on, so it is kept
    expect(keep.take(event('Evicted', { lastTimestamp: new Date(Date.UTC(2026, 0, 1, 12, 0, 0)) }))).to.not.equal(null);
    expect(keep.take(event('NodeNotReady', { lastTimestamp: new Date(Date.UTC(2026, 0, 1, 11, 59, 59)) }))).to.equal(null);
    expect(keep.take(event('Scheduled', { eventTime: new Date(START + 10) }))).to.equal(null);
  });

  it('names a cluster-scoped object without a namespace', () => {
    const keep = new KeyEvents(START);
    const node = event('NodeNotReady', { involvedObject: { kind: 'Node', name: 'node-2' }, eventTime: new Date(START + 5), reportingComponent: 'node-controller' });
    expect(keep.take(node)).to.deep.include({ objectKind: 'Node', object: 'node-2', source: 'node-controller' });
  });
});
