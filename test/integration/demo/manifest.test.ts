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

describe('demo add-on manifests (store-replica.yaml, gateway-canary.yaml)', () => {
  const load = (name: string): K8sObject[] => {
    const docs = parseAllDocuments(readFileSync(fileURLToPath(new URL(`../../../../deploy/demo/${name}`, import.meta.url)), 'utf8'));
    if (!Array.isArray(docs)) throw new Error(`${name}: not a multi-document YAML file`);
    for (const doc of docs) expect(doc.errors.map(String), name).to.deep.equal([]);
    return docs.map((d) => d.toJS() as K8sObject);
  };
  const demo = load('demo.yaml');
  const replica = load('store-replica.yaml');
  const canary = load('gateway-canary.yaml');
  const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const selects = (selector: unknown, labels: unknown) => Object.entries(selector as Record<string, string>).every(([k, v]) => (labels as Record<string, string>)[k] === v);
  const podLabels = (d: K8sObject) => d.spec.template.metadata.labels as Record<string, string>;
  const envOf = (d: K8sObject) => d.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
  /** The Deployment with `paths` left out, to compare the rest with its counterpart. */
  const without = (d: K8sObject, strip: (copy: K8sObject) => void) => {
    const copy = structuredClone(d);
    strip(copy);
    return copy;
  };

  it('adds the store-replica Service and Deployment before customer-service again, in that order', () => {
    expect(replica.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal(['Service/store-replica', 'Deployment/store-replica', 'Deployment/customer-service']);
  });

  it('runs the replica as ROLE=replica of the store, never selected by the store Service', () => {
    const deployment = find(replica, 'Deployment', 'store-replica');
    expect(envOf(deployment)).to.deep.include({ name: 'ROLE', value: 'replica' });
    expect(deployment.spec.template.spec.containers[0].args).to.deep.equal(['store']);
    expect(selects(find(demo, 'Service', 'store').spec.selector, podLabels(deployment))).to.equal(false);
    expect(selects(find(replica, 'Service', 'store-replica').spec.selector, podLabels(deployment))).to.equal(true);
  });

  it('gives the replica the probes and termination budget of the store', () => {
    const store = find(demo, 'Deployment', 'store').spec.template.spec;
    const replicaSpec = find(replica, 'Deployment', 'store-replica').spec.template.spec;
    expect(replicaSpec.terminationGracePeriodSeconds).to.equal(store.terminationGracePeriodSeconds);
    expect(replicaSpec.containers[0].readinessProbe).to.deep.equal(store.containers[0].readinessProbe);
    expect(replicaSpec.containers[0].livenessProbe).to.deep.equal(store.containers[0].livenessProbe);
  });

  it("changes demo.yaml's customer-service only by STORE_REPLICA_URL from the Service variables", () => {
    const strip = (d: K8sObject) => {
      const container = d.spec.template.spec.containers[0];
      container.env = (container.env as Array<{ name: string }>).filter((e) => e.name !== 'STORE_REPLICA_URL');
    };
    const again = find(replica, 'Deployment', 'customer-service');
    expect(without(again, strip)).to.deep.equal(find(demo, 'Deployment', 'customer-service'));
    expect(envOf(again)).to.deep.include({ name: 'STORE_REPLICA_URL', value: 'http://$(STORE_REPLICA_SERVICE_HOST):$(STORE_REPLICA_SERVICE_PORT)' });
  });

  it('keeps the canary and stable gateway pods apart while the gateway Service selects both', () => {
    const stable = find(demo, 'Deployment', 'gateway');
    const canaryDeployment = find(canary, 'Deployment', 'gateway-canary');
    expect(canary.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal(['Deployment/gateway-canary']);
    expect(selects(stable.spec.selector.matchLabels, podLabels(canaryDeployment))).to.equal(false);
    expect(selects(canaryDeployment.spec.selector.matchLabels, podLabels(stable))).to.equal(false);
    const service = find(demo, 'Service', 'gateway').spec.selector;
    expect([selects(service, podLabels(stable)), selects(service, podLabels(canaryDeployment))]).to.deep.equal([true, true]);
  });

  it('ships the canary with no pods, version 1.1, and otherwise the stable gateway', () => {
    const canaryDeployment = find(canary, 'Deployment', 'gateway-canary');
    expect(canaryDeployment.spec.replicas).to.equal(0);
    expect(canaryDeployment.spec.template.spec.containers[0].image).to.equal('crt.io/demo:1.1');
    const strip = (d: K8sObject) => {
      d.metadata = { name: '' };
      d.spec.selector = d.spec.template.metadata = d.spec.replicas = d.spec.template.spec.containers[0].image = null;
    };
    expect(without(canaryDeployment, strip)).to.deep.equal(without(find(demo, 'Deployment', 'gateway'), strip));
  });

  it('ships gateway-live, the blue/green Service: blue (stable) pods only, green (canary) ones once LOG-14 switches it', () => {
    const live = load('gateway-live.yaml');
    expect(live.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal(['Service/gateway-live']);
    const selector = live[0]!.spec.selector as Record<string, string>;
    const stable = find(demo, 'Deployment', 'gateway');
    const canaryDeployment = find(canary, 'Deployment', 'gateway-canary');
    expect(selects(selector, podLabels(stable))).to.equal(true);
    expect(selects(selector, podLabels(canaryDeployment))).to.equal(false);
    expect(selects({ app: 'gateway', track: 'canary' }, podLabels(canaryDeployment))).to.equal(true);
    const gatewayPorts = find(demo, 'Service', 'gateway').spec.ports as Array<{ name: string; port: number; targetPort: string }>;
    expect(live[0]!.spec.ports).to.deep.equal(gatewayPorts.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort })));
  });
});
