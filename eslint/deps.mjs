// The dependency table of src/: each folder names the folders it may import, in the spirit of
// Playwright's DEPS.list files. eslint.config.js turns it into lint rules, and
// scripts/gen-deps-doc.mjs into docs/contributing/dependencies.md: change it here, then run
// `npm run gen:deps-doc`.
//
// An import from another folder goes through that folder's index.ts (its public surface); files
// inside one folder import each other directly. A folder missing from a row may not be imported at
// all. The table must stay acyclic: lint also fails on any import cycle between files.
//
// A folder with rows for its subfolders (localcluster/) is one folder to the rest of src/: they
// import its index.ts only. Its own row is then the files directly in it, and its subfolders import
// each other as their rows say.

/** @typedef {{ folder: string, role: string, may: string[] }} DepsRow */

/** @type {DepsRow[]} */
export const DEPS = [
  { folder: 'core', role: 'errors and exit codes, clock, logging, units, atomic files: no crt knowledge', may: [] },
  { folder: 'vocabulary', role: 'the words every room shares: layers, phases, failure classes, verdicts, node timings', may: ['core'] },
  { folder: 'results', role: 'result types, statistics, the run folder, comparisons and trends', may: ['core', 'vocabulary'] },
  { folder: 'plan', role: 'loading and validating a plan into a frozen Plan', may: ['core', 'vocabulary', 'results'] },
  { folder: 'kube', role: 'Kubernetes clients, kubeconfig, API errors and the apimachinery selector syntax', may: ['core'] },
  { folder: 'notify', role: 'notifications sent when a run ends', may: ['core', 'plan', 'results'] },
  { folder: 'load', role: 'load engines (autocannon, k6): produce samples, know nothing of faults', may: ['core', 'vocabulary', 'plan', 'results'] },
  { folder: 'sessions', role: 'long-lived session engine (WebSocket, SSE, TCP): produces samples like load/', may: ['core', 'vocabulary', 'plan', 'results', 'load'] },
  { folder: 'distributed', role: 'load run from worker Jobs or the k6 operator inside a cluster', may: ['core', 'plan', 'kube', 'load'] },
  { folder: 'faults', role: 'the fault registry: plan a fault, apply it, journal and revert it', may: ['core', 'vocabulary', 'plan', 'kube'] },
  { folder: 'probes', role: 'probes run before and after a fault', may: ['core', 'vocabulary', 'plan', 'results', 'kube'] },
  { folder: 'metrics', role: 'sinks: the run folder files and InfluxDB', may: ['core', 'vocabulary', 'plan', 'results'] },
  { folder: 'localcluster', role: 'the embedded Kubernetes cluster, assembled (LocalCluster, the embedded or real control plane, leftovers); its index.ts is the whole cluster\'s public surface', may: ['core', 'vocabulary', 'kube', 'localcluster/api', 'localcluster/store', 'localcluster/runtime', 'localcluster/network', 'localcluster/services', 'localcluster/controllers', 'localcluster/apiserver', 'localcluster/node', 'localcluster/netns', 'localcluster/install', 'localcluster/real'] },
  { folder: 'localcluster/api', role: 'Kubernetes object types and the API server\'s validation, defaults and tables', may: ['core', 'kube'] },
  { folder: 'localcluster/runtime', role: 'pods as local processes: containers, probes, environment, status', may: ['core', 'localcluster/api'] },
  { folder: 'localcluster/store', role: 'the object store: watches, admission, manifests, availability', may: ['core', 'kube', 'localcluster/api', 'localcluster/runtime'] },
  { folder: 'localcluster/network', role: 'the loopback network: addresses, Service proxies, NetworkPolicies, node links', may: ['core', 'kube', 'localcluster/api', 'localcluster/store'] },
  { folder: 'localcluster/services', role: 'Services: host ports, admission, environment, their proxies', may: ['core', 'localcluster/api', 'localcluster/store', 'localcluster/network'] },
  { folder: 'localcluster/controllers', role: 'the controllers and the scheduler', may: ['core', 'vocabulary', 'kube', 'localcluster/api', 'localcluster/store'] },
  { folder: 'localcluster/apiserver', role: 'the HTTP API server: routes, watch streams, negotiation, audit, pod logs', may: ['core', 'kube', 'localcluster/api', 'localcluster/store', 'localcluster/controllers'] },
  { folder: 'localcluster/node', role: 'the simulated nodes: node agent, node object and status, traffic gates', may: ['core', 'vocabulary', 'kube', 'localcluster/api', 'localcluster/store', 'localcluster/runtime', 'localcluster/network', 'localcluster/services', 'localcluster/controllers', 'localcluster/apiserver'] },
  { folder: 'localcluster/netns', role: 'network namespaces for the real control plane\'s nodes', may: ['core', 'localcluster/runtime', 'localcluster/network'] },
  { folder: 'localcluster/install', role: 'installs the Kubernetes binaries the real control plane runs', may: ['core'] },
  { folder: 'localcluster/controlplane', role: 'the real kube-apiserver, controller-manager and scheduler processes', may: ['core', 'localcluster/runtime'] },
  { folder: 'localcluster/kubelet', role: 'the kubelet that serves the real control plane\'s nodes', may: ['core', 'kube', 'localcluster/api', 'localcluster/runtime', 'localcluster/services', 'localcluster/apiserver'] },
  { folder: 'localcluster/metricsserver', role: 'the metrics.k8s.io server', may: ['core', 'localcluster/api', 'localcluster/runtime', 'localcluster/controllers'] },
  { folder: 'localcluster/real', role: 'the cluster with a real control plane', may: ['core', 'vocabulary', 'kube', 'localcluster/api', 'localcluster/store', 'localcluster/runtime', 'localcluster/network', 'localcluster/apiserver', 'localcluster/netns', 'localcluster/install', 'localcluster/controlplane', 'localcluster/kubelet', 'localcluster/metricsserver'] },
  { folder: 'report', role: 'reporters (HTML, Markdown, JUnit, PDF): read result types only', may: ['core', 'vocabulary', 'results'] },
  { folder: 'runner', role: 'runs a plan: cases, timelines, watches, verdicts', may: ['core', 'vocabulary', 'plan', 'results', 'kube', 'load', 'sessions', 'distributed', 'faults', 'probes', 'metrics', 'localcluster', 'notify'] },
  { folder: 'cli', role: 'the commander program: the only code that writes to stdout or exits', may: ['core', 'vocabulary', 'plan', 'results', 'kube', 'load', 'faults', 'metrics', 'notify', 'report', 'runner', 'localcluster'] },
  { folder: 'demo', role: 'the demo system crt tests in its examples: a separate program', may: [] },
];

/** The folders of src/ that the table knows. */
export const FOLDERS = DEPS.map((row) => row.folder);

/** The folder `folder` lies in, one level up (`localcluster` for `localcluster/api`), or undefined at the top. */
export const parentOf = (folder) => (folder.includes('/') ? folder.slice(0, folder.lastIndexOf('/')) : undefined);

/** Whether `folder` has rows for its subfolders. */
export const hasSubrows = (folder) => FOLDERS.some((f) => parentOf(f) === folder);

/** The lint message for an import from a folder `row` may not import. */
export function forbiddenMessage(row) {
  const allowed = row.may.length ? row.may.map((f) => `${f}/`).join(', ') : 'no other folder of src/';
  return `${row.folder}/ may import only ${allowed} (eslint/deps.mjs, docs/contributing/dependencies.md).`;
}

/** The lint message for a deep import into a folder `row` may import. */
export function deepMessage(row, folder) {
  return `import ${folder}/ through src/${folder}/index.ts, its public surface: export what ${row.folder}/ needs there (eslint/deps.mjs).`;
}
