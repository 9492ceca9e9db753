import { request } from 'node:https';

export interface TlsMaterial {
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * One GET of a health endpoint: undefined when it answers 200, else what it said (status and the
 * start of its body, or the connection error), for the progress line and the error a timeout raises.
 */
export function checkHealth(url: string, tls: TlsMaterial, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', ca: tls.ca, cert: tls.cert, key: tls.key, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { if (body.length < 2000) body += chunk; });
      res.on('end', () => resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}: ${failedChecks(body)}`));
      res.on('error', (err) => resolve(err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

/** The failing checks of a verbose /readyz body (`[-]poststarthook/... failed`), else its first line. */
function failedChecks(body: string): string {
  const failed = body.split('\n').filter((l) => l.startsWith('[-]')).map((l) => l.slice(3).split(' ')[0]);
  return failed.length ? `not ready: ${failed.join(', ')}` : (body.split('\n')[0] ?? '').slice(0, 200);
}
