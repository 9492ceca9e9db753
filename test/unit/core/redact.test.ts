import { expect } from 'chai';
import { pino } from 'pino';
import { REDACTED, Redactor, createLogger, isSecretKey } from '../../../src/core/index.js';

describe('Redactor', () => {
  it('masks a known value wherever it appears, also JSON- and URL-encoded', () => {
    const r = new Redactor(['s3cr"et/v@l']);
    expect(r.text('token s3cr"et/v@l in a message')).to.equal(`token ${REDACTED} in a message`);
    expect(r.text(JSON.stringify({ msg: 'got s3cr"et/v@l' }))).to.equal(`{"msg":"got ${REDACTED}"}`);
    expect(r.text(`?q=${encodeURIComponent('s3cr"et/v@l')}`)).to.equal(`?q=${REDACTED}`);
  });

  it('masks the longest of two overlapping secrets whole', () => {
    const r = new Redactor(['abcd', 'abcdefgh']);
    expect(r.text('x abcdefgh y abcd')).to.equal(`x ${REDACTED} y ${REDACTED}`);
  });

  it('leaves values shorter than four characters to the key and URL rules (they would mask common words)', () => {
    const r = new Redactor(['abc']);
    expect(r.size).to.equal(0);
    expect(r.text('abc')).to.equal('abc');
    expect(r.value({ password: 'abc' })).to.deep.equal({ password: REDACTED });
  });

  it('masks the password of any URL and a lone user name (it may be a token), keeping the user of user:password', () => {
    const r = new Redactor();
    expect(r.text('GET http://alice:pw@127.0.0.1:8080/x')).to.equal(`GET http://alice:${REDACTED}@127.0.0.1:8080/x`);
    expect(r.text('clone https://ghp_token@github.com/o/r')).to.equal(`clone https://${REDACTED}@github.com/o/r`);
    expect(r.text('mail alice@example.com')).to.equal('mail alice@example.com');
  });

  it('masks secret query parameters and keeps the others', () => {
    const r = new Redactor();
    expect(r.text('http://h/p?user=bob&access_token=abc123&api_key=k&page=2')).to.equal(`http://h/p?user=bob&access_token=${REDACTED}&api_key=${REDACTED}&page=2`);
  });

  it('replaces values under secret-looking keys whole, at any depth, and keeps references and variable names', () => {
    const r = new Redactor();
    const data = {
      targets: { srv: { url: 'http://u:p@h', headers: { Authorization: 'Bearer x', Cookie: 'a=b', 'x-request-id': '7' } } },
      sinks: { influx: { passwordEnv: 'INFLUX_PW', tokenFile: 'token.txt' } },
      env: { DB_PASSWORD: '${DB_PW}', API_KEY: 'k-123', MODE: 'fast', RETRIES: 3 },
      list: [{ secret: 42 }],
    };
    expect(r.value(data)).to.deep.equal({
      targets: { srv: { url: `http://u:${REDACTED}@h`, headers: { Authorization: REDACTED, Cookie: REDACTED, 'x-request-id': '7' } } },
      sinks: { influx: { passwordEnv: 'INFLUX_PW', tokenFile: 'token.txt' } },
      env: { DB_PASSWORD: '${DB_PW}', API_KEY: REDACTED, MODE: 'fast', RETRIES: 3 },
      list: [{ secret: REDACTED }],
    });
    expect(data.targets.srv.headers.Authorization, 'the input is not changed').to.equal('Bearer x');
  });

  it('learns the secrets of a data tree: values under secret keys and URL passwords, then masks them in free text', () => {
    const r = new Redactor().collect({ headers: { authorization: 'Bearer tok-1234' }, url: 'http://bob:p%40ss-word@h', env: { X: '${REF}' } });
    expect(r.text('sent Bearer tok-1234 with p@ss-word and p%40ss-word; ${REF} stays')).to.equal(`sent ${REDACTED} with ${REDACTED} and ${REDACTED}; \${REF} stays`);
  });

  it('classifies keys: secrets, and the names of variables or files that hold them', () => {
    expect(['authorization', 'X-Api-Key', 'api_key', 'DB_PASSWORD', 'passwd', 'token', 'clientSecret', 'cookie'].filter(isSecretKey)).to.have.length(8);
    expect(['passwordEnv', 'tokenFile', 'url', 'headers', 'x-run', 'author'].filter(isSecretKey)).to.deep.equal([]);
  });

  it('filters every line of a pino logger: known values in messages and fields, URL credentials, secret fields', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l: string) => void lines.push(l) }, 'info', new Redactor(['tok-SECRET-1']));
    log.info({ err: 'request to http://u:pw-2@h failed with tok-SECRET-1', config: { password: 'pw-3', url: 'x' } }, 'sent tok-SECRET-1');
    expect(lines).to.have.length(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).to.include({ msg: `sent ${REDACTED}`, err: `request to http://u:${REDACTED}@h failed with ${REDACTED}` });
    expect(line.config).to.deep.equal({ password: REDACTED, url: 'x' });
  });

  it('keeps the flush of a SonicBoom destination reachable through the filter', () => {
    const dest = pino.destination({ dest: '/dev/null', sync: true });
    const stream = new Redactor().stream(dest) as { flushSync?: () => void };
    expect(stream.flushSync).to.be.a('function');
    stream.flushSync!();
  });
});
