import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const DASHBOARD = `${REPO}deploy/grafana/dashboards/crt-run.json`;

export interface DashboardQuery {
  where: string;
  query: string;
}

interface Dashboard {
  uid: string;
  panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ query: string; rawQuery: boolean; datasource: { uid: string } }> }>;
  annotations: { list: Array<{ name: string; query: string; datasource: { uid: string }; titleColumn: string; textColumn: string; tagsColumn: string }> };
  templating: { list: Array<{ name: string; query: string; datasource: { uid: string } }> };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
}

/** Every InfluxQL query of the dashboard: panel targets, annotations and template variables. */
export function dashboardQueries(d: Dashboard = readDashboard()): DashboardQuery[] {
  return [
    ...d.panels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}"`, query: t.query }))),
    ...d.annotations.list.map((a) => ({ where: `annotation "${a.name}"`, query: a.query })),
    ...d.templating.list.map((v) => ({ where: `variable $${v.name}`, query: v.query })),
  ];
}

/** The query as Grafana sends it for one run and every case over `[fromUs, toUs]` (µs). */
export function expandQuery(q: string, run: string, fromUs: number, toUs: number): string {
  return q
    .replaceAll('$timeFilter', `time >= ${fromUs}u AND time <= ${toUs}u`)
    .replaceAll('/^$run$/', `/^${run}$/`)
    .replaceAll('/^$case$/', '/^.*$/');
}
