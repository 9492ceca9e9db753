import os from 'node:os';

/**
 * Reading the environment a pod gets. Every knob is validated at start: a typo in a manifest
 * should crash the container (visible as CrashLoopBackOff), not silently run with a default.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The knobs every role shares (see server-kit.ts for what each one does). */
export interface KitConfig {
  host: string;
  port: number;
  podName: string;
  version: string;
  latencyMs: number;
  cpuMs: number;
  failRate: number;
  readyDelayMs: number;
  warmupMs: number;
  shutdownDelayMs: number;
  drainTimeoutMs: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function kitConfig(env: Env): KitConfig {
  return {
    host: env.HOST || env.POD_IP || '127.0.0.1',
    port: intKnob(env, 'PORT', 8080, 0, 65535),
    podName: env.POD_NAME || os.hostname(),
    version: env.DEMO_VERSION || 'dev',
    latencyMs: intKnob(env, 'LATENCY_MS', 0),
    cpuMs: intKnob(env, 'CPU_MS', 0),
    failRate: numberKnob(env, 'FAIL_RATE', 0, 0, 1),
    readyDelayMs: intKnob(env, 'READY_DELAY_MS', 0),
    warmupMs: intKnob(env, 'WARMUP_MS', 0),
    shutdownDelayMs: intKnob(env, 'SHUTDOWN_DELAY_MS', 2000),
    drainTimeoutMs: intKnob(env, 'DRAIN_TIMEOUT_MS', 10_000),
  };
}

/** A whole number in [min, max]; absent or empty means `fallback`. */
export function intKnob(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = numberKnob(env, name, fallback, min, max);
  if (!Number.isInteger(value)) throw new ConfigError(`${name} must be a whole number, got "${env[name]}"`);
  return value;
}

export function numberKnob(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * The base URL of a Service, found as a pod finds it: an explicit `<urlVar>` first (for runs
 * outside a cluster), else the `<NAME>_SERVICE_HOST`/`_PORT` variables Kubernetes injects for
 * every Service that existed when the container started.
 */
export function serviceUrl(env: Env, service: string, urlVar: string): URL {
  const explicit = env[urlVar]?.trim();
  if (explicit) {
    try {
      return new URL(explicit);
    } catch {
      throw new ConfigError(`${urlVar} must be a URL, got "${explicit}"`);
    }
  }
  const prefix = service.toUpperCase().replace(/-/g, '_');
  const host = env[`${prefix}_SERVICE_HOST`]?.trim();
  const port = env[`${prefix}_SERVICE_PORT`]?.trim();
  if (!host || !port) {
    throw new ConfigError(
      `cannot find ${service}: set ${urlVar}, or ${prefix}_SERVICE_HOST and ${prefix}_SERVICE_PORT ` +
        `(Kubernetes only injects them for Services created before the pod)`,
    );
  }
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return new URL(`http://${bracketed}:${port}`);
}
