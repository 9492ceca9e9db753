import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const MANIFEST = fileURLToPath(new URL('../../../../deploy/demo/demo.yaml', import.meta.url));

interface Container {
  args: string[];
  env?: Array<{ name: string; value?: string }>;
  ports: Array<{ name: string; containerPort: number }>;
}

// Only the fields these checks read; the manifest is plain Kubernetes.
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
}

describe('demo manifest deploy/demo/demo.yaml', () => {
  const docs = parseAllDocuments(readFileSync(MANIFEST, 'utf8'));
  const objects = (Array.isArray(docs) ? docs : []).map((d) => d.toJS() as K8sObject);
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const services = objects.filter((o) => o.kind === 'Service');
  const container = (d: K8sObject) => d.spec.template.spec.containers[0] as Container;

  it('parses as YAML documents without errors', () => {
    expect(Array.isArray(docs)).to.equal(true);
    for (const doc of Array.isArray(docs) ? docs : []) expect(doc.errors.map(String)).to.deep.equal([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).to.have.members([
      'Namespace/demo', 'Service/store', 'Service/customer-service', 'Service/gateway',
      'Deployment/store', 'Deployment/customer-service', 'Deployment/gateway',
    ]);
  });

  it("selects each Deployment's own pods with its selector", () => {
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels as Record<string, string>;
      expect(labels, d.metadata.name).to.include(d.spec.selector.matchLabels);
      expect(labels, d.metadata.name).to.include({ app: d.metadata.name, 'app.kubernetes.io/part-of': 'crt-demo' });
    }
  });

  it("runs each Deployment's role as the container argument", () => {
    for (const d of deployments) expect(container(d).args, d.metadata.name).to.deep.equal([d.metadata.name]);
  });

  it('points each Service at the named port of exactly one Deployment', () => {
    for (const s of services) {
      const matching = deployments.filter((d) => Object.entries(s.spec.selector as Record<string, string>).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
      expect(matching.map((d) => d.metadata.name), s.metadata.name).to.deep.equal([s.metadata.name]);
      expect(container(matching[0]!).ports.map((p) => p.name)).to.include(s.spec.ports[0].targetPort);
    }
  });

  it('lists every Service before the Deployments, so pods get the Service variables', () => {
    const firstDeployment = objects.findIndex((o) => o.kind === 'Deployment');
    const lastService = objects.map((o) => o.kind).lastIndexOf('Service');
    expect(lastService).to.be.below(firstDeployment);
  });

  it('drains within the termination grace period', () => {
    for (const d of deployments) {
      const env = Object.fromEntries((container(d).env ?? []).map((e) => [e.name, e.value]));
      const neededMs = Number(env.SHUTDOWN_DELAY_MS ?? 2000) + Number(env.DRAIN_TIMEOUT_MS ?? 10_000);
      expect(neededMs, d.metadata.name).to.be.below(d.spec.template.spec.terminationGracePeriodSeconds * 1000);
    }
  });
});
