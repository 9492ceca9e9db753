import { expect } from 'chai';
import { fdExhaustedMessage, localConnections, openFilesLimit } from '../../../src/load/fd-limit.js';
import type { LoadSpec, StageSpec } from '../../../src/plan/types.js';
import { caseVerdict, type VerdictInputs } from '../../../src/runner/case-result.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('load/fd-limit: the generator out of file descriptors', () => {
  it('reads the soft open-files limit from /proc/self/limits text', () => {
    expect(openFilesLimit(LIMITS)).to.equal(1024);
    expect(openFilesLimit(LIMITS.replace('1024                 524288', 'unlimited            unlimited'))).to.equal(undefined);
    expect(openFilesLimit('no such line\n')).to.equal(undefined);
  });

  it('counts the connections every generator of an autocannon load holds in this process', () => {
    const stage = (connections: number): StageSpec => ({ index: 0, name: 's', connections, rateRps: null, durationMs: 1000, requests: null });
    const load = (over: Partial<LoadSpec>) => ({ engine: 'autocannon', generators: 3, stages: [stage(10), stage(400)], distributed: null, ...over }) as Pick<LoadSpec, 'engine' | 'generators' | 'stages' | 'distributed'>;
    expect(localConnections(load({}) as LoadSpec)).to.equal(1200);
    expect(localConnections(load({ engine: 'k6' }) as LoadSpec)).to.equal(0);
    expect(localConnections(load({ distributed: { generators: 2, on: 'cluster', via: 'job', image: null, namespace: 'crt' , startTimeoutMs: 120_000 } }) as LoadSpec)).to.equal(0);
  });

  it('names EMFILE, the limit, the count and what to do', () => {
    expect(fdExhaustedMessage('EMFILE', 204, 1200, 1024)).to.equal(
      'EMFILE: 204 connection attempts failed because this process ran out of file descriptors (limit 1024, ulimit -n) with 1200 connections: ' +
        'failures of the load generator, not of the service — raise ulimit -n (e.g. ulimit -n 65536) or lower connections',
    );
    expect(fdExhaustedMessage('ENFILE', 1, 10, undefined)).to.equal(
      'ENFILE: 1 connection attempt failed because this machine ran out of file descriptors (ENFILE: fs.file-max) with 10 connections: ' +
        'failures of the load generator, not of the service — raise fs.file-max or lower connections',
    );
  });

  it('makes the case inconclusive even when an abort rule or an expectation failed on those failures', () => {
    const base: VerdictInputs = { interrupted: null, timedOutMs: null, abortHit: null, loadError: null, generatorErrors: [], injectFailures: [], ineffective: [], expectations: [] };
    const rule = { text: 'errorRate > 50% for 2s', metric: 'errorRate', op: '>', value: 0.5, windowMs: 2000, location: { file: 'p.yaml', line: 1, col: 1, path: 'abortIf[0]' } } as const;
    const hit = { rule, value: 0.94, atMs: 3000 };
    const emfile = 'generator 0: EMFILE: 9 connection attempts failed';
    expect(caseVerdict({ ...base, abortHit: hit })).to.deep.equal({ verdict: 'aborted', reason: 'abort rule "errorRate > 50% for 2s" held at 3s' });
    expect(caseVerdict({ ...base, abortHit: hit, generatorErrors: [emfile], fdExhausted: emfile })).to.deep.equal({ verdict: 'inconclusive', reason: `a load generator failed: ${emfile}` });
    expect(caseVerdict({ ...base, interrupted: 'SIGINT', fdExhausted: emfile }).verdict).to.equal('aborted');
  });
});
