import { errorMessage, formatDuration, parseDuration } from '../core/index.js';
import type { ProbeSpec } from '../plan/index.js';
import type { Probe, ProbeContext, ProbeOutcome } from './probe.js';

interface HttpParams {
  target?: string;
  url?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  status?: Array<number | string> | number | string;
  bodyContains?: string;
  bodyMatches?: string;
  header?: Record<string, string>;
  maxLatency?: string;
}

function statusMatches(status: number, expected: Array<number | string>): boolean {
  return expected.some((m) => {
    if (typeof m === 'number') return status === m;
    if (/^[1-5]xx$/.test(m)) return Math.floor(status / 100) === Number(m[0]);
    const [lo, hi] = m.split('-').map(Number) as [number, number | undefined];
    return status >= lo && status <= (hi ?? lo);
  });
}

/** `http`: one request; checks status, body, headers (e.g. x-served-by) and latency. */
export function httpProbe(spec: ProbeSpec): Probe {
  const p = spec.params as HttpParams;
  const expected = p.status === undefined ? ['2xx'] : ([] as Array<number | string>).concat(p.status);
  return {
    async check(ctx: ProbeContext): Promise<ProbeOutcome> {
      const base = p.target ? await ctx.targets.resolve(p.target) : { url: '', headers: {} };
      const url = p.url ?? `${base.url}${p.path ?? '/'}`;
      const started = ctx.clock.now();
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method: p.method ?? 'GET',
          headers: { ...base.headers, ...p.headers },
          ...(p.body !== undefined ? { body: p.body } : {}),
          signal: ctx.signal,
          redirect: 'manual',
        });
        text = await res.text();
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        return { ok: false, detail: `${p.method ?? 'GET'} ${url}: ${cause ?? errorMessage(err)}` };
      }
      const latencyMs = ctx.clock.now() - started;
      const problems: string[] = [];
      if (!statusMatches(res.status, expected)) problems.push(`status ${res.status}, expected ${expected.join(' or ')}`);
      if (p.bodyContains !== undefined && !text.includes(p.bodyContains)) problems.push(`body does not contain "${p.bodyContains}"`);
      if (p.bodyMatches !== undefined && !new RegExp(p.bodyMatches).test(text)) problems.push(`body does not match /${p.bodyMatches}/`);
      for (const [name, re] of Object.entries(p.header ?? {})) {
        const value = res.headers.get(name);
        if (value === null) problems.push(`no ${name} header`);
        else if (!new RegExp(re).test(value)) problems.push(`${name}: ${value} does not match /${re}/`);
      }
      if (p.maxLatency !== undefined && latencyMs > parseDuration(p.maxLatency)) {
        problems.push(`took ${formatDuration(latencyMs)}, more than ${p.maxLatency}`);
      }
      const seen = `${res.status} in ${formatDuration(latencyMs)}`;
      return problems.length ? { ok: false, detail: `${url}: ${problems.join('; ')}` } : { ok: true, detail: `${url}: ${seen}` };
    },
  };
}
