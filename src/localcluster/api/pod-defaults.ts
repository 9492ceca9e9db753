/**
 * Pod spec defaulting as the real API server does it (`SetDefaults_PodSpec` and the container, port, probe
 * and volume defaults beneath it): for pods, and for the pod templates of workloads (defaults.ts,
 * workload-defaults.ts).
 */

export type Obj = Record<string, any>;

/**
 * Fill `obj[key]` when it is unset, returning the value it now holds. As in Go, an empty string is unset
 * (`if obj.RestartPolicy == ""`), while 0 and false are kept: the numeric and boolean defaults are pointers there.
 */
export function fill<T>(obj: Obj, key: string, value: T): T {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
  return obj[key] as T;
}

export const asObj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined);
export const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((e): e is Obj => asObj(e) !== undefined) : []);

/** SetDefaults_PodSpec, SetDefaults_Pod and the container, port, probe and volume defaults beneath them. */
export function defaultPodSpec(spec: Obj): void {
  fill(spec, 'restartPolicy', 'Always');
  fill(spec, 'terminationGracePeriodSeconds', 30);
  fill(spec, 'dnsPolicy', 'ClusterFirst');
  fill(spec, 'securityContext', {});
  fill(spec, 'schedulerName', 'default-scheduler');
  fill(spec, 'enableServiceLinks', true);
  for (const c of [...list(spec.initContainers), ...list(spec.containers), ...list(spec.ephemeralContainers)]) {
    defaultContainer(c, spec.hostNetwork === true);
  }
  for (const v of list(spec.volumes)) defaultVolume(v);
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  fill(c, 'imagePullPolicy', imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent');
  fill(c, 'terminationMessagePath', '/dev/termination-log');
  fill(c, 'terminationMessagePolicy', 'File');
  fill(c, 'resources', {});
  for (const port of list(c.ports)) {
    fill(port, 'protocol', 'TCP');
    // With host networking the container port is the host port.
    if (hostNetwork && !port.hostPort) port.hostPort = port.containerPort;
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = asObj(c[probe]);
    if (p) defaultProbe(p);
  }
  for (const hook of ['postStart', 'preStop']) {
    const httpGet = asObj(asObj(asObj(c.lifecycle)?.[hook])?.httpGet);
    if (httpGet) defaultHttpGet(httpGet);
  }
}

/**
 * The tag the kubelet would pull, as `parsers.ParseImageName` reads it: `latest` when the reference names
 * neither a tag nor a digest, none when it only pins a digest.
 */
export function imageTag(image: string): string | undefined {
  const [name = '', digest] = image.split('@');
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  if (colon >= 0) return name.slice(colon + 1);
  return digest === undefined ? 'latest' : undefined;
}

function defaultProbe(p: Obj): void {
  fill(p, 'timeoutSeconds', 1);
  fill(p, 'periodSeconds', 10);
  fill(p, 'successThreshold', 1);
  fill(p, 'failureThreshold', 3);
  const httpGet = asObj(p.httpGet);
  if (httpGet) defaultHttpGet(httpGet);
}

function defaultHttpGet(h: Obj): void {
  fill(h, 'path', '/');
  fill(h, 'scheme', 'HTTP');
}

function defaultVolume(v: Obj): void {
  for (const source of ['configMap', 'secret', 'projected', 'downwardAPI']) {
    const s = asObj(v[source]);
    if (s) fill(s, 'defaultMode', 420);
  }
}
