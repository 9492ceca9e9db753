import { expect } from 'chai';
import type { CaseResult, ClusterEventRecord } from '../../../src/results/types.js';
import { MAX_KEY_EVENTS, caseKeyEvents, keyEventTable } from '../../../src/report/cluster-events.js';
import { renderClusterTimeline } from '../../../src/report/cluster-timeline.js';
import { renderHtml } from '../../../src/report/html.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { CLUSTER, ORIGIN, RUN_ID, TIMESERIES, fixtureRun } from './fixture.js';
import { xmlProblems } from './helpers.js';

const ev = (offsetMs: number, reason: string, extra: Partial<ClusterEventRecord> = {}): ClusterEventRecord => ({
  t: ORIGIN + offsetMs, run: RUN_ID, case: 'L-02', layer: 'logical', phase: 'fault', kind: 'event',
  type: 'Normal', reason, objectKind: 'Pod', object: 'demo/gateway-7d9', message: `${reason} <msg> & more`, count: 1, uid: `uid-${reason}`, source: 'kubelet',
  ...extra,
});

/** What the watch saw during the pod kill: the kill, the replacement, a probe failing three times on it. */
const EVENTS: ClusterEventRecord[] = [
  ev(10_020, 'Killing', { message: 'Stopping container gateway' }),
  ev(10_040, 'SuccessfulCreate', { objectKind: 'ReplicaSet', object: 'demo/gateway-5f6', message: 'Created pod: gateway-x4k' }),
  ev(11_000, 'Unhealthy', { type: 'Warning', object: 'demo/gateway-x4k', message: 'Readiness probe failed', count: 1 }),
  ev(12_000, 'Unhealthy', { type: 'Warning', object: 'demo/gateway-x4k', message: 'Readiness probe failed', count: 2 }),
  ev(13_000, 'Unhealthy', { type: 'Warning', object: 'demo/gateway-x4k', message: 'Readiness probe failed', count: 3 }),
  ev(5_000, 'Killing', { case: 'L-01', uid: 'other-case' }),
];

describe('report/Kubernetes events on the cluster timeline', () => {
  const podKill = fixtureRun().cases[1] as CaseResult;
  const svg = renderClusterTimeline(podKill, CLUSTER, TIMESERIES, EVENTS);

  it('folds the lines of a repeated Event into one, with its occurrences during the case', () => {
    const list = caseKeyEvents(podKill, EVENTS);
    expect(list.map((e) => `${e.reason}@${e.firstT - ORIGIN}..${e.t - ORIGIN}×${e.times}`)).to.deep.equal(['Killing@10020..10020×1', 'SuccessfulCreate@10040..10040×1', 'Unhealthy@11000..13000×3']);
  });

  it('draws a marker per event at its time, each with its detail as a tooltip, and names them in the legend', () => {
    expect(xmlProblems(svg)).to.deep.equal([]);
    const markers = [...svg.matchAll(/<g class="k8s-event k8s-event-(\w+)" data-reason="(\w+)"><title>([^<]*)<\/title>/g)].map((m) => [m[1], m[2], m[3]]);
    expect(markers).to.deep.equal([
      ['normal', 'Killing', '+10.0 s Normal Killing pod demo/gateway-7d9: Stopping container gateway'],
      ['normal', 'SuccessfulCreate', '+10.0 s Normal SuccessfulCreate replicaset demo/gateway-5f6: Created pod: gateway-x4k'],
      ['warning', 'Unhealthy', '+11.0 s Warning Unhealthy pod demo/gateway-x4k: Readiness probe failed (×3, last at +13.0 s)'],
    ]);
    // two events 20 ms apart: the second stands on the first rather than hiding it
    const ys = [...svg.matchAll(/<path d="M[\d.]+ ([\d.]+) L/g)].map((m) => Number(m[1]));
    expect(ys[1]).to.be.below(ys[0]!);
    const legend = /<g class="legend">[\s\S]*?<\/g>/.exec(svg)?.[0] ?? '';
    expect(legend).to.include('>Kubernetes event (hover: detail)<');
    expect(legend).to.include('>Warning event<');
  });

  it('draws no marker and no legend entry without events', () => {
    const plain = renderClusterTimeline(podKill, CLUSTER, TIMESERIES);
    expect(plain).not.to.include('k8s-event');
    expect(plain).not.to.include('Kubernetes event');
  });

  it('lists the key events under the timeline, at most 30, then how many more cluster.jsonl has', () => {
    expect(keyEventTable(podKill, EVENTS)?.rows).to.deep.equal([
      ['+10.0 s', 'Normal', 'Killing', 'pod demo/gateway-7d9', 'Stopping container gateway', ''],
      ['+10.0 s', 'Normal', 'SuccessfulCreate', 'replicaset demo/gateway-5f6', 'Created pod: gateway-x4k', ''],
      ['+11.0 s', 'Warning', 'Unhealthy', 'pod demo/gateway-x4k', 'Readiness probe failed', '×3'],
    ]);
    const many = Array.from({ length: 45 }, (_, i) => ev(1000 + i * 100, 'Killing', { uid: `u${i}` }));
    const rows = keyEventTable(podKill, many)!.rows;
    expect(rows).to.have.length(MAX_KEY_EVENTS + 1);
    expect(rows[MAX_KEY_EVENTS]![0]).to.equal('… 15 more in cluster.jsonl');
    expect(keyEventTable(podKill, [])).to.equal(null);
  });

  it('puts the markers and the list in the HTML and Markdown reports, escaped', () => {
    const html = renderHtml(fixtureRun(), TIMESERIES, CLUSTER, EVENTS);
    const section = html.slice(html.indexOf('id="case-L-02"'));
    expect(section).to.include('<h5>Key events (Kubernetes)</h5>');
    expect(section).to.include('class="k8s-event k8s-event-warning"');
    // each case lists its own events only; a message is text, never markup
    const steady = html.slice(html.indexOf('id="case-L-01"'), html.indexOf('id="case-L-02"'));
    expect(steady).to.match(/<td[^>]*>Killing &lt;msg&gt; &amp; more<\/td>/);
    expect(steady).not.to.include('Readiness probe failed');
    const md = renderMarkdown(fixtureRun(), new Map(), { cluster: CLUSTER, timelines: new Map(), events: EVENTS });
    expect(md).to.include('**Key events (Kubernetes)**');
    expect(md).to.include('| +11.0 s | Warning | Unhealthy | pod demo/gateway-x4k | Readiness probe failed | ×3 |');
  });
});
