import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import { K6SampleBuilder } from '../../../src/load/k6/output.js';
import { generateK6Script } from '../../../src/load/k6/script.js';
import { loadSpec, stage } from '../../helpers/load.js';
import { tempDir } from '../../helpers/tmp.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/k6/', import.meta.url));
const ORIGIN = Date.parse('2026-11-23T10:00:00Z');

interface Added {
  value: number;
  tags: Record<string, string>;
}

/**
 * Runs the generated script's default function `iterations` times in a VM, with the k6 modules
 * it imports replaced by recorders (there is no k6 binary here): `responses` are what
 * http.request returns in turn; the Counter's adds are returned.
 */
function iterate(script: string, responses: Array<{ status: number; headers: Record<string, string> }>, elapsedMs = 0): { added: Added[]; counters: string[] } {
  const added: Added[] = [];
  const counters: string[] = [];
  let i = 0;
  const body = script
    .replace(/^import http from 'k6\/http';$/m, '')
    .replace(/^import exec from 'k6\/execution';$/m, '')
    .replace(/^import \{ Counter \} from 'k6\/metrics';$/m, '')
    .replace('export const options', 'const options')
    .replace('export default function ()', 'function iteration()');
  const context = {
    __ENV: {},
    exec: { instance: { currentTestRunDuration: elapsedMs } },
    http: { setResponseCallback: () => undefined, expectedStatuses: () => null, request: () => responses[i++] },
    Counter: class {
      constructor(name: string) {
        counters.push(name);
      }
      add(value: number, tags: Record<string, string>) {
        added.push({ value, tags });
      }
    },
  };
  runInNewContext(`${body}\nfor (let n = 0; n < ${responses.length}; n++) iteration();`, context);
  return { added, counters };
}

describe('k6 engine: servedBy', () => {
  describe('the generated script', () => {
    const spec = loadSpec({ engine: 'k6', servedBy: 'x-version', stages: [stage({ connections: 2, durationMs: 5000 })] });
    const script = generateK6Script({ url: 'http://127.0.0.1:9/', headers: {}, spec, maxStageMs: 60_000 });

    it('counts each answer in the crt_served_by Counter, tagged with the header value (k6 canonicalises header names)', () => {
      const { added, counters } = iterate(script, [
        { status: 200, headers: { 'X-Version': '1.1' } },
        { status: 503, headers: { 'X-Version': '1.0' } },
        { status: 200, headers: { 'Content-Length': '2' } },
      ]);
      expect(counters).to.deep.equal(['crt_served_by']);
      expect(added).to.deep.equal([
        { value: 1, tags: { served_by: '1.1' } },
        { value: 1, tags: { served_by: '1.0' } },
        { value: 1, tags: { served_by: '(none)' } },
      ]);
    });

    it('does not count a request without an HTTP status (timeout, refused connection)', () => {
      expect(iterate(script, [{ status: 0, headers: {} }]).added).to.deep.equal([]);
    });

    it('tags the stage itself when stepped stages share one ramping-vus scenario', () => {
      const stepped = loadSpec({ engine: 'k6', servedBy: 'x-version', stages: [stage({ index: 0, connections: 1, durationMs: 1000 }), stage({ index: 1, connections: 2, durationMs: 1000 })] });
      const s = generateK6Script({ url: 'http://127.0.0.1:9/', headers: {}, spec: stepped, maxStageMs: 60_000 });
      expect(iterate(s, [{ status: 200, headers: { 'x-version': 'b' } }], 1500).added).to.deep.equal([{ value: 1, tags: { served_by: 'b', stage: '1' } }]);
    });

    it('has no Counter and no header lookup without servedBy', () => {
      const plain = generateK6Script({ url: 'http://127.0.0.1:9/', headers: {}, spec: loadSpec({ engine: 'k6' }), maxStageMs: 60_000 });
      expect(plain).to.not.contain('k6/metrics');
      expect(plain).to.not.contain('crt_served_by');
      expect(iterate(plain, [{ status: 200, headers: { 'x-version': '1' } }]).counters).to.deep.equal([]);
    });

    it('is a syntactically valid ES module (node --check)', async () => {
      const tmp = await tempDir();
      try {
        const file = path.join(tmp.dir, 'served-by.mjs');
        await writeFile(file, script);
        execFileSync(process.execPath, ['--check', file]);
      } finally {
        await tmp.remove();
      }
    });
  });

  describe('reading k6 JSON output (test/fixtures/k6/served-by-points.json, k6 --out json format)', () => {
    function parse(): ReturnType<K6SampleBuilder['flush']>['samples'] {
      const b = new K6SampleBuilder(ORIGIN, 0);
      for (const line of readFileSync(`${fixtures}served-by-points.json`, 'utf8').split('\n')) b.addLine(line);
      return b.flush(Infinity, true).samples;
    }

    it('counts crt_served_by points by their served_by tag, per second and stage', () => {
      expect(parse().map((s) => [s.sec, s.stage, s.requests, s.servedBy])).to.deep.equal([
        [0, 0, 3, { '1.0': 2, '1.1': 1 }],
        [1, 0, 1, { '(none)': 1 }],
      ]);
    });

    it('does not count a served_by point as a request: http_req_duration points are the requests', () => {
      const [s0] = parse();
      expect(s0).to.include({ requests: 3, ok: 3 });
      expect(s0!.statusCodes).to.deep.equal({ 200: 3 });
    });
  });
});
