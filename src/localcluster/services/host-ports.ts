import { readFileSync } from 'node:fs';
import type { KObject } from '../api/index.js';

/**
 * Service ports below 1024 need privileges on most machines (Linux: root, or
 * net.ipv4.ip_unprivileged_port_start lowered, as container runtimes do). Where crt may not bind them,
 * the proxy of port P listens on P + 10000 instead, and the Service carries the mapping in this
 * annotation, which the pods' service variables and `crt cluster url` follow.
 */
export const PROXY_PORTS_ANNOTATION = 'crt.io/proxy-ports';
export const LOW_PORT_OFFSET = 10_000;

export function lowestBindablePort(): number {
  if (process.getuid?.() === 0) return 0;
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    return 1024;
  }
}

/** The port the proxy of a Service port listens on. */
export function hostPortFor(port: number, lowest: number): number {
  return port < lowest ? port + LOW_PORT_OFFSET : port;
}

/** `80:10080,443:10443` → the listening port of a Service port (the port itself when not remapped). */
export function proxyPort(svc: KObject, port: number): number {
  const text: string | undefined = svc.metadata.annotations?.[PROXY_PORTS_ANNOTATION];
  for (const pair of text?.split(',') ?? []) {
    const [from, to] = pair.split(':').map(Number);
    if (from === port && to) return to;
  }
  return port;
}
