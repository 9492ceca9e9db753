import { expect } from 'chai';
import { route } from '../../../src/demo/http-io.js';

describe('demo route templates', () => {
  const noop = () => undefined;

  it('matches a :param against exactly one path segment', () => {
    const r = route('GET', '/customers/:id', noop);
    expect(r.path.exec('/customers/42')?.slice(1)).to.deep.equal(['42']);
    expect(r.path.test('/customers/42/orders')).to.equal(false);
    expect(r.path.test('/customers/')).to.equal(false);
  });

  it('matches a *param against the rest of the path, slashes included', () => {
    expect(route('GET', '/kv/*key', noop).path.exec('/kv/customers/7')?.slice(1)).to.deep.equal(['customers/7']);
  });

  it('takes literal segments literally', () => {
    const r = route('GET', '/v1.0/stats', noop);
    expect(r.path.test('/v1.0/stats')).to.equal(true);
    expect(r.path.test('/v1x0/stats')).to.equal(false);
  });
});
