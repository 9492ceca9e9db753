import path from 'node:path';
import { parseDuration } from '../core/index.js';
import type { FileSet } from './files.js';
import { location } from './normalize-load.js';
import { namedFileProblem } from './read-file.js';
import { portProblem } from './url-check.js';
import type { PlanDoc, TargetDoc } from './schema.js';
import type { Target } from './types.js';
import type { DocPath, YamlSource } from './yaml-source.js';

/** The plan's `targets:` as Targets, each reported where it is wrong (neither or both of url and service, a port outside 1–65535). */
export function normalizeTargets(docs: Record<string, TargetDoc>, source: YamlSource, files: FileSet): Record<string, Target> {
  const out: Record<string, Target> = {};
  for (const [name, t] of Object.entries(docs)) {
    if (!t.url === !t.service) {
      files.error(source, ['targets', name], t.url ? 'give either url or service, not both' : 'a target needs a url (or a cluster service)', 'e.g. url: http://127.0.0.1:8080');
      continue;
    }
    const port = t.service?.split(':')[1];
    const problem = port !== undefined ? portProblem(port) : null;
    if (problem) files.error(source, ['targets', name, 'service'], problem);
    out[name] = {
      name,
      url: t.url ? t.url.replace(/\/+$/, '') : null,
      service: t.service ?? null,
      headers: t.headers ?? {},
      connectTimeoutMs: t.connectTimeout ? parseDuration(t.connectTimeout) : 5000,
      location: location(source, ['targets', name]),
    };
  }
  return out;
}

/** Files the plan names for the run to read (cluster manifests, kubeconfig, sink credentials): no device, nothing huge. */
export function checkNamedFiles(doc: PlanDoc, source: YamlSource, files: FileSet): void {
  const named: Array<[DocPath, string | undefined]> = [
    ...(doc.cluster?.local?.manifests ?? []).map((m, i): [DocPath, string] => [['cluster', 'local', 'manifests', i], m]),
    [['cluster', 'kubeconfig'], doc.cluster?.kubeconfig],
    [['sinks', 'influx', 'passwordFile'], doc.sinks?.influx?.passwordFile],
    [['sinks', 'influx', 'tokenFile'], doc.sinks?.influx?.tokenFile],
  ];
  for (const [at, name] of named) {
    const problem = name ? namedFileProblem(path.resolve(path.dirname(source.file), name)) : null;
    if (problem) files.error(source, at, problem, 'the plan names an ordinary file here, relative to the plan file');
  }
}
