/** What is wrong with a port written in a URL or a `namespace/name:port`; null for 1 to 65535. */
export function portProblem(port: string): string | null {
  return /^[0-9]+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535 ? null : `port ${port} is out of range: a port is a number from 1 to 65535`;
}

/**
 * What is wrong with an http(s) URL that the WHATWG parser (the one fetch and crt's engines use)
 * would refuse, or that no connection can reach (port 0); null when it is fine. Text without an
 * http:// or https:// scheme is left to the schema's pattern.
 */
export function httpUrlProblem(text: string): string | null {
  const m = /^https?:\/\/(?:[^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)(?::([^/?#]*))?/i.exec(text);
  if (!m) return null;
  const [, host = '', port] = m;
  if (port !== undefined && port !== '' && portProblem(port)) return portProblem(port);
  if (port === '') return 'a colon after the host needs a port (or remove the colon)';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return host === '' ? 'the URL has no host' : `"${host}" is not a valid host name`;
  }
  if (url.hostname === '') return 'the URL has no host';
  return null;
}
