import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { INFLUX_MEASUREMENTS, type Measurement } from '../../../src/metrics/index.js';
import { REPO, dashboardQueries, readDashboard } from '../../helpers/grafana.js';

const yamlFile = <T>(rel: string) => parse(readFileSync(path.join(REPO, rel), 'utf8')) as T;

interface Compose {
  services: Record<string, { image: string; ports?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
}
interface Datasources {
  datasources: Array<{ uid: string; type: string; url: string; jsonData: { dbName: string } }>;
}
interface Providers {
  providers: Array<{ type: string; options: { path: string } }>;
}

/** Identifiers a query uses, split by the role InfluxQL gives them. */
function identifiers(q: string) {
  const measurement = /\bFROM "(\w+)"/.exec(q)?.[1];
  const [select = '', rest = ''] = q.split(/\bFROM\b/);
  const where = /\bWHERE\b(.*?)(\bGROUP BY\b|$)/.exec(rest)?.[1] ?? '';
  const groupBy = /\bGROUP BY\b(.*)$/.exec(rest)?.[1] ?? '';
  const quoted = (s: string) => [...s.matchAll(/"(\w+)"/g)].map((m) => m[1] as string);
  const aliases = new Set([...select.matchAll(/\bAS "(\w+)"/g)].map((m) => m[1] as string));
  return {
    measurement,
    fields: quoted(select).filter((f) => !aliases.has(f)),
    tags: [...quoted(where), ...quoted(groupBy), ...quoted(/WITH KEY = "(\w+)"/.exec(rest)?.[0] ?? '')],
  };
}

describe('docker-compose.yml and the provisioned Grafana', () => {
  it('runs InfluxDB 1.8 and Grafana with the provisioning folders that exist in the repository', () => {
    const compose = yamlFile<Compose>('docker-compose.yml');
    expect(compose.services.influxdb?.image).to.equal('influxdb:1.8');
    expect(compose.services.grafana?.image).to.match(/^grafana\/grafana:/);
    for (const v of compose.services.grafana?.volumes ?? []) {
      const host = v.split(':')[0] as string;
      if (host.startsWith('./')) expect(existsSync(path.join(REPO, host)), v).to.equal(true);
    }
    const provider = yamlFile<Providers>('deploy/grafana/provisioning/dashboards/crt.yaml').providers[0];
    expect(compose.services.grafana?.volumes).to.include(`./deploy/grafana/dashboards:${provider?.options.path}:ro`);
  });

  it('provisions an InfluxDB datasource on the compose InfluxDB and its database, with the uid the dashboard uses', () => {
    const compose = yamlFile<Compose>('docker-compose.yml');
    const [ds] = yamlFile<Datasources>('deploy/grafana/provisioning/datasources/influxdb.yaml').datasources;
    expect(ds).to.deep.include({ type: 'influxdb', url: 'http://influxdb:8086' });
    expect(ds?.jsonData.dbName).to.equal(compose.services.influxdb?.environment?.INFLUXDB_DB);
    const d = readDashboard();
    const uids = new Set([...d.panels.flatMap((p) => [p.datasource.uid, ...p.targets.map((t) => t.datasource.uid)]), ...d.annotations.list.map((a) => a.datasource.uid), ...d.templating.list.map((v) => v.datasource.uid)]);
    expect([...uids]).to.deep.equal([ds?.uid]);
  });

  it('queries only measurements, fields and tags the InfluxDB sink writes', () => {
    const queries = dashboardQueries();
    expect(queries.length).to.be.at.least(10);
    for (const { where, query } of queries) {
      const ids = identifiers(query);
      expect(ids.measurement, `${where}: ${query}`).to.be.oneOf(Object.keys(INFLUX_MEASUREMENTS));
      const m = INFLUX_MEASUREMENTS[ids.measurement as Measurement];
      for (const f of ids.fields) expect([...m.fields, ...m.tags], `${where}: "${f}" in SELECT`).to.include(f);
      for (const t of ids.tags) expect(m.tags, `${where}: "${t}" in WHERE/GROUP BY is not a tag of ${ids.measurement}`).to.include(t);
    }
  });

  it('has the panels, variables and annotations docs/guides/influxdb-grafana.md promises', () => {
    const d = readDashboard();
    const all = dashboardQueries(d).map((q) => q.query).join('\n');
    for (const f of ['requests', 'failed', 'p50', 'p95', 'p99']) expect(all).to.include(`"${f}"`);
    expect(all).to.match(/FROM "crt_cluster" WHERE "kind" = 'nodes'/);
    expect(all).to.match(/GROUP BY time\(1s\), "case", "phase"/);
    expect(d.templating.list.map((v) => v.name)).to.deep.equal(['run', 'case']);
    expect(d.templating.list.every((v) => v.query.startsWith('SHOW TAG VALUES'))).to.equal(true);
    const faults = d.annotations.list.find((a) => a.name === 'faults');
    expect(faults).to.deep.include({ titleColumn: 'title', textColumn: 'text', tagsColumn: 'kind' });
    expect(faults?.query).to.include('inject|revert');
    const k8s = d.annotations.list.find((a) => a.name === 'kubernetes events');
    expect(k8s).to.deep.include({ titleColumn: 'title', textColumn: 'text', tagsColumn: 'name' });
    expect(k8s?.query).to.include(`"kind" = 'kubernetes'`);
    expect(all).to.match(/FROM "crt_served_by" .*GROUP BY time\(1s\), "case", "value"/);
  });
});
