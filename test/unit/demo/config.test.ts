import { expect } from 'chai';
import { ConfigError, kitConfig, serviceUrl } from '../../../src/demo/config.js';

describe('demo config', () => {
  it('builds the upstream URL from the Service variables Kubernetes injects', () => {
    const env = { CUSTOMER_SERVICE_SERVICE_HOST: '10.96.0.12', CUSTOMER_SERVICE_SERVICE_PORT: '80' };
    expect(serviceUrl(env, 'customer-service', 'CUSTOMER_SERVICE_URL').href).to.equal('http://10.96.0.12/');
  });

  it('prefers an explicit URL variable over the Service variables', () => {
    const env = { STORE_URL: 'http://127.0.0.1:9000', STORE_SERVICE_HOST: '10.96.0.13', STORE_SERVICE_PORT: '80' };
    expect(serviceUrl(env, 'store', 'STORE_URL').origin).to.equal('http://127.0.0.1:9000');
  });

  it('brackets an IPv6 Service address', () => {
    expect(serviceUrl({ STORE_SERVICE_HOST: 'fd00::1', STORE_SERVICE_PORT: '80' }, 'store', 'STORE_URL').host).to.equal('[fd00::1]');
  });

  it('names both ways to configure a missing upstream', () => {
    expect(() => serviceUrl({}, 'store', 'STORE_URL')).to.throw(ConfigError, /STORE_URL, or STORE_SERVICE_HOST and STORE_SERVICE_PORT/);
  });

  it('takes the documented defaults from an empty environment', () => {
    expect(kitConfig({ POD_NAME: 'p' })).to.deep.equal({
      host: '127.0.0.1', port: 8080, podName: 'p', version: 'dev', latencyMs: 0, cpuMs: 0, failRate: 0,
      readyDelayMs: 0, warmupMs: 0, shutdownDelayMs: 2000, drainTimeoutMs: 10_000,
    });
  });

  it('refuses a FAIL_RATE outside 0..1 rather than guessing', () => {
    expect(() => kitConfig({ FAIL_RATE: '5' })).to.throw(ConfigError, 'FAIL_RATE must be a number from 0 to 1, got "5"');
  });

  it('refuses a fractional LATENCY_MS', () => {
    expect(() => kitConfig({ LATENCY_MS: '1.5' })).to.throw(ConfigError, 'LATENCY_MS must be a whole number');
  });
});
