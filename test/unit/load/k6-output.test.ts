import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { K6SampleBuilder, failureOfErrorCode, parseK6Time } from '../../../src/load/k6/output.js';
import { decodeHistogram, summarize } from '../../../src/results/histogram.js';
import type { LoadSample } from '../../../src/results/types.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/k6/', import.meta.url));
const ORIGIN = Date.parse('2026-11-23T10:00:00Z');

function parseFixture(): { samples: LoadSample[]; stages: Array<[number, number]> } {
  const stages: Array<[number, number]> = [];
  const b = new K6SampleBuilder(ORIGIN, 0, (stage, at) => stages.push([stage, at]));
  for (const line of readFileSync(`${fixtures}points.json`, 'utf8').split('\n')) b.addLine(line);
  return { samples: b.flush(Infinity, true).samples, stages };
}

describe('k6 JSON output → per-second samples (test/fixtures/k6/points.json, k6 --out json format)', () => {
  it('reads RFC 3339 timestamps with nanoseconds and zone offsets', () => {
    expect(parseK6Time('2026-11-23T12:00:01.300123456+02:00')).to.be.closeTo(ORIGIN + 1300.123, 0.001);
    expect(parseK6Time('2026-11-23T10:00:00Z')).to.equal(ORIGIN);
    expect(parseK6Time('yesterday')).to.be.NaN;
  });

  it('counts each http_req_duration point once, in the second of its timestamp', () => {
    const { samples } = parseFixture();
    expect(samples.map((s) => [s.sec, s.stage, s.requests])).to.deep.equal([[0, 0, 2], [1, 0, 3], [2, 1, 1]]);
  });

  it('takes statuses and successes from the status and expected_response tags', () => {
    const [s0] = parseFixture().samples as [LoadSample];
    expect(s0.ok).to.equal(1);
    expect(s0.failures).to.deep.equal({ status: 1, timeout: 0, refused: 0, reset: 0, other: 0 });
    expect(s0.statusCodes).to.deep.equal({ 200: 1, 503: 1 });
    expect(s0.bytes).to.equal(345);
  });

  it('classes requests without a response by their k6 error_code', () => {
    const s1 = parseFixture().samples[1] as LoadSample;
    expect(s1.failures).to.deep.equal({ status: 0, timeout: 1, refused: 1, reset: 0, other: 0 });
    expect(s1.ok).to.equal(1);
    expect(s1.firstFailureAt).to.equal(ORIGIN + 1100);
    expect(failureOfErrorCode(1220)).to.equal('reset');
    expect(failureOfErrorCode(1100)).to.equal('other');
  });

  it('records http_req_duration into HDR histograms in microseconds', () => {
    const s1 = parseFixture().samples[1] as LoadSample;
    const h = summarize(decodeHistogram(s1.latency));
    expect(h?.count).to.equal(3);
    expect(h?.max).to.be.closeTo(1000.25, 1);
    expect(h?.min).to.be.closeTo(0.8, 0.01);
    expect(s1.service).to.equal(s1.latency);
  });

  it('reports each stage when its first point arrives', () => {
    expect(parseFixture().stages).to.deep.equal([[0, ORIGIN + 250], [1, ORIGIN + 2500]]);
  });

  it('holds back seconds that are not over yet, and counts lines that are not JSON', () => {
    const b = new K6SampleBuilder(ORIGIN, 2);
    // the points written up to 1.5 s (the last line, of stage 1, is not written yet)
    const lines = readFileSync(`${fixtures}points.json`, 'utf8').trim().split('\n');
    for (const line of lines.slice(0, -1)) b.addLine(line);
    b.addLine('not json');
    const partial = b.flush(ORIGIN + 1500);
    expect(partial.samples.map((s) => s.sec)).to.deep.equal([0]);
    expect(partial.upToSec).to.equal(1);
    expect(partial.samples[0]?.generator).to.equal(2);
    expect(b.badLines).to.equal(1);
    b.addLine(lines.at(-1) as string);
    expect(b.flush(Infinity, true).samples.map((s) => [s.sec, s.stage])).to.deep.equal([[1, 0], [2, 1]]);
  });
});
