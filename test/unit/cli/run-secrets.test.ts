import { expect } from 'chai';
import { recordedCommandLine, runRedactor } from '../../../src/cli/commands/run-secrets.js';
import type { InfluxConfig } from '../../../src/metrics/index.js';
import type { Plan } from '../../../src/plan/index.js';

describe('the secrets of a run (src/cli/commands/run-secrets.ts)', () => {
  const plan = {
    secrets: ['from-env-1234'],
    resolved: { targets: { srv: { url: 'http://u:plan-pw-5678@h', headers: { 'x-api-key': 'key-9012' } } } },
    targets: { srv: { name: 'srv', url: 'http://u:plan-pw-5678@h', headers: { 'x-api-key': 'key-9012' } } },
  } as unknown as Plan;
  const influx: InfluxConfig = { url: 'http://h:8086', database: 'crt', username: 'admin', password: 'influx-pw-3456', token: 'influx-token-7890' };

  it('knows the substituted values, URL passwords, values under secret keys, InfluxDB credentials and secret flags', () => {
    const argv = ['run', 'plan.yaml', '--influx-url', 'http://a:flag-pw-1111@h', '--api-token=flag-token-2222', '--password', 'flag-pw-3333'];
    const r = runRedactor(plan, influx, argv);
    const text = 'from-env-1234 plan-pw-5678 key-9012 influx-pw-3456 influx-token-7890 flag-pw-1111 flag-token-2222 flag-pw-3333 kept';
    expect(r.text(text)).to.equal('*** *** *** *** *** *** *** *** kept');
  });

  it('records the command line with URL credentials and secret flag values masked', () => {
    const argv = ['run', 'plan.yaml', '--run-id', 'r1', '--influx-url', 'http://admin:pw-4444@127.0.0.1:8086', '--api-token=tok-5555'];
    expect(recordedCommandLine(argv, runRedactor(plan, null, argv))).to.equal('crt run plan.yaml --run-id r1 --influx-url http://admin:***@127.0.0.1:8086 --api-token=***');
  });
});
