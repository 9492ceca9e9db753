import { expect } from 'chai';
import { hostPortFor, proxyPort, PROXY_PORTS_ANNOTATION } from '../../../../src/localcluster/services/host-ports.js';
import type { KObject } from '../../../../src/localcluster/api/types.js';

const svc = (annotation?: string): KObject => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: { name: 's', ...(annotation ? { annotations: { [PROXY_PORTS_ANNOTATION]: annotation } } : {}) },
});

describe('Service ports where low ports cannot be bound', () => {
  it('moves a port below the lowest bindable one up by 10000', () => {
    expect(hostPortFor(80, 1024)).to.equal(10080);
    expect(hostPortFor(8080, 1024)).to.equal(8080);
  });

  it('keeps every port where all can be bound (root)', () => {
    expect(hostPortFor(80, 0)).to.equal(80);
  });

  it('reads the listening port of a Service port from the annotation', () => {
    expect(proxyPort(svc('80:10080,443:10443'), 443)).to.equal(10443);
    expect(proxyPort(svc('80:10080'), 9090)).to.equal(9090);
    expect(proxyPort(svc(), 80)).to.equal(80);
  });
});
