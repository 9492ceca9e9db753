import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PlanError } from '../../../src/core/errors.js';
import { loadPlan, type CaseSpec } from '../../../src/plan/index.js';
import { tempDir } from '../../helpers/tmp.js';

const head = `apiVersion: crt/v1
metadata: {name: sessions}
targets:
  chat: {url: "http://127.0.0.1:8080"}
layers:
  logical:
`;

const kase = (id: string, load: string, expect = '') => `    - id: ${id}
      title: ${id}
      objective: session fields
      load: ${load}
${expect ? `      expect: ${expect}\n` : ''}`;

describe('loadPlan: engine sessions', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  async function load(body: string): Promise<CaseSpec[]> {
    const file = path.join(tmp.dir, 'plan.yaml');
    await writeFile(file, head + body);
    return [...loadPlan(file, {}).plan.cases];
  }

  async function problems(body: string): Promise<string> {
    const err = await load(body).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(PlanError);
    return (err as PlanError).problems.map((p) => `${p.path}: ${p.message}`).join('\n');
  }

  it('reads sessions: with its defaults, and the session expectations in their units', async () => {
    const [c] = await load(kase('A', '{target: chat, path: /chat, engine: sessions, connections: 20, duration: 30s, sessions: {protocol: websocket}}', '{whole: {sessionsDropped: 0, messagesLost: 2, minSessions: {min: 20}, reconnectP95: 2s, reconnectMax: 5s}}'));
    expect(c?.load?.engine).to.equal('sessions');
    expect(c?.load?.sessions).to.deep.equal({ protocol: 'websocket', openRate: 10, intervalMs: 1000, message: 'ping', backoff: { initialMs: 100, maxMs: 5000, factor: 2 } });
    expect(c?.expect.phases.map((e) => [e.metric, e.bound, e.value])).to.deep.equal([
      ['sessionsDropped', 'max', 0], ['messagesLost', 'max', 2], ['minSessions', 'min', 20], ['reconnectP95', 'max', 2000], ['reconnectMax', 'max', 5000],
    ]);
  });

  it('leaves sessions unset for a request engine', async () => {
    const [c] = await load(kase('A', '{target: chat, rate: 5, duration: 5s}'));
    expect(c?.load).to.not.have.property('sessions');
  });

  it('reports what the sessions engine cannot run, each at its key', async () => {
    const text = await problems(
      kase('A', '{target: chat, engine: sessions, connections: 2, duration: 5s}') +
      kase('B', '{target: chat, connections: 2, duration: 5s, sessions: {protocol: tcp}}') +
      kase('C', '{target: chat, engine: sessions, connections: 2, requests: 10, sessions: {protocol: sse}}') +
      kase('D', '{target: chat, engine: sessions, duration: 5s, stages: [{connections: 2}], sessions: {protocol: tcp}}'),
    );
    expect(text).to.contain('layers.logical[0].load.engine: engine sessions needs a sessions: block');
    expect(text).to.contain('layers.logical[1].load.sessions: sessions: is a setting of the sessions engine');
    expect(text).to.contain('layers.logical[2].load.requests: engine sessions runs for a duration, not a request count');
    expect(text).to.contain('layers.logical[2].load.engine: engine sessions needs a duration');
    expect(text).to.contain('layers.logical[3].load.stages: engine sessions holds one set of sessions');
  });

  it('names the protocols when one is unknown', async () => {
    const text = await problems(kase('E', '{target: chat, engine: sessions, connections: 2, duration: 5s, sessions: {protocol: mqtt}}'));
    expect(text).to.match(/layers\.logical\[0\]\.load\.sessions\.protocol: .*websocket, tcp or sse/);
  });
});
