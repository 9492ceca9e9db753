/**
 * Manifests the cluster tests apply: a namespace, and Deployments of a tiny HTTP server (Node,
 * bound to `$HOST`, answering `ok` on 8080, Ready once it answers), so that a test states only what
 * it varies.
 */

export function namespace(name: string): string {
  return `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`;
}

export interface OkDeployment {
  name: string;
  namespace: string;
  replicas: number;
  /** terminationGracePeriodSeconds (default 1) */
  graceSec?: number;
  /** declare containerPort 8080 (default true) */
  port?: boolean;
  /** extra container fields, one YAML line each at the container's indentation (e.g. `resources: {requests: {cpu: 50m}}`) */
  containerExtra?: string[];
}

/** A Deployment labelled `app: <name>` of `replicas` pods answering `ok` on 8080. */
export function okDeployment(d: OkDeployment): string {
  const lines = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    `metadata: {name: ${d.name}, namespace: ${d.namespace}, labels: {app: ${d.name}}}`,
    'spec:',
    `  replicas: ${d.replicas}`,
    `  selector: {matchLabels: {app: ${d.name}}}`,
    '  template:',
    `    metadata: {labels: {app: ${d.name}}}`,
    '    spec:',
    `      terminationGracePeriodSeconds: ${d.graceSec ?? 1}`,
    '      containers:',
    `        - name: ${d.name}`,
    '          image: node:20-slim',
    `          command: [node, -e, "require('http').createServer((q, r) => r.end('ok')).listen(8080, process.env.HOST)"]`,
    ...(d.port === false ? [] : ['          ports: [{containerPort: 8080}]']),
    '          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}',
    ...(d.containerExtra ?? []).map((l) => `          ${l}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** A ClusterIP Service `name` on port 80 for the pods labelled `app: <name>`. */
export function okService(name: string, ns: string): string {
  return `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  selector: {app: ${name}}\n  ports: [{port: 80, targetPort: 8080}]\n`;
}

/** Documents joined into one multi-document YAML. */
export function manifests(...docs: string[]): string {
  return docs.join('---\n');
}
