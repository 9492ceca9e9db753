import { expect } from 'chai';
import { ApiException } from '@kubernetes/client-node';
import { classifyApiFailure, retryApiCall } from '../../../src/kube/index.js';
import { ManualClock, settle } from '../../helpers/manual-clock.js';

const status = (code: number, body: object, headers: Record<string, string> = {}) => new ApiException(code, `HTTP-Code: ${code}`, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, ...body }), headers);
/** The eviction REST's refusal, as kube-apiserver sends it. */
const pdb429 = () => status(429, {
  reason: 'TooManyRequests', message: 'Cannot evict pod as it would violate the pod\'s disruption budget.',
  details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }] },
});
/** API Priority and Fairness rejecting a request: Retry-After and the X-Kubernetes-PF-* headers. */
const apf429 = (retryAfter = '2') => status(429, { reason: 'TooManyRequests', message: 'Too many requests, please try again later.', details: { retryAfterSeconds: Number(retryAfter) } }, {
  'Retry-After': retryAfter, 'X-Kubernetes-PF-FlowSchema-UID': 'fs-1', 'X-Kubernetes-PF-PriorityLevel-UID': 'pl-1',
});

describe('API failures: what is retried, and a PDB refusal told from throttling', () => {
  it('tells a PodDisruptionBudget 429 from an API Priority and Fairness 429', () => {
    expect(classifyApiFailure(pdb429())).to.deep.include({ kind: 'budget', status: 429 });
    expect(classifyApiFailure(apf429())).to.deep.include({ kind: 'throttled', status: 429, retryAfterMs: 2000, flowSchema: 'fs-1', priorityLevel: 'pl-1' });
    // max-in-flight: a 429 without the APF headers is throttling too
    expect(classifyApiFailure(status(429, { reason: 'TooManyRequests', message: 'Too many requests, please try again later.' }, { 'retry-after': '1' }))).to.deep.include({ kind: 'throttled', retryAfterMs: 1000 });
  });

  it('retries 502, 503, 504, a 500 with Retry-After and a reset connection; not a plain 500, 404, 409 or 403', () => {
    const kinds = [
      status(502, {}), status(503, { reason: 'ServiceUnavailable' }), status(504, { reason: 'Timeout' }), status(500, { reason: 'InternalError' }, { 'Retry-After': '1' }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      status(500, { reason: 'InternalError' }), status(404, { reason: 'NotFound' }), status(409, { reason: 'Conflict' }), status(403, { reason: 'Forbidden' }),
    ].map((e) => classifyApiFailure(e).kind);
    expect(kinds).to.deep.equal(['transient', 'transient', 'transient', 'transient', 'transient', 'permanent', 'permanent', 'permanent', 'permanent']);
  });

  it('retries a throttled call after the server\'s Retry-After, on the injected clock, and returns its answer', async () => {
    const clock = new ManualClock();
    const answers: Array<Error | string> = [apf429('3'), status(503, {}), 'ok'];
    let calls = 0;
    const retries: string[] = [];
    const done = retryApiCall(async () => {
      calls++;
      const a = answers.shift()!;
      if (a instanceof Error) throw a;
      return a;
    }, { clock, random: () => 0.5, onRetry: (f, n, ms) => retries.push(`${n}:${f.kind}:${ms}`) });
    await settle();
    expect(calls).to.equal(1);
    await clock.advance(2_999);
    expect(calls, 'not before Retry-After').to.equal(1);
    await clock.advance(1);
    expect(calls).to.equal(2);
    // then back-off: the second wait is 400 ms with jitter 0.75
    await clock.advance(300);
    expect(await done).to.equal('ok');
    expect(retries).to.deep.equal(['1:throttled:3000', '2:transient:300']);
  });

  it('does not retry a PDB refusal or a permanent error, and gives up after the attempts', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const err = await retryApiCall(() => (calls++, Promise.reject(pdb429())), { clock }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ApiException);
    expect(calls).to.equal(1);
    calls = 0;
    const gaveUp = retryApiCall(() => (calls++, Promise.reject(status(503, {}))), { clock, attempts: 3 }).then(() => undefined, (e: unknown) => e);
    await settle();
    await clock.advance(10_000);
    expect(((await gaveUp) as ApiException<string>).code).to.equal(503);
    expect(calls).to.equal(3);
  });
});
