import type { ResourceRegistry, ResourceType } from '../api/index.js';

/**
 * A minimal OpenAPI v3 surface, enough for kubectl's validation handshake: for each resource, the PATCH
 * operation tagged with its group/version/kind and the `fieldValidation` query parameter. kubectl then
 * leaves validation to the server (`--validate=strict` is its default) instead of downloading schemas.
 * No schemas are published: the embedded cluster validates objects itself (see api/validation.ts) and
 * accepts unknown fields.
 */
export function openApiV3(path: string, registry: ResourceRegistry): unknown {
  const clean = path.replace(/\/+$/, '');
  if (clean === '/openapi/v3') {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of groupVersions(registry)) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=crt` };
    return { paths };
  }
  const gv = clean.replace(/^\/openapi\/v3\//, '');
  if (!groupVersions(registry).includes(gv)) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of registry.all().filter((x) => prefix(x) === gv)) paths[`/${gv}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`] = { patch: patchOperation(r) };
  return { openapi: '3.0.0', info: { title: 'Kubernetes (crt embedded cluster)', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

function patchOperation(r: ResourceType): unknown {
  return {
    operationId: `patch${r.kind}`,
    'x-kubernetes-action': 'patch',
    'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
    parameters: [
      { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
    ],
    responses: { '200': { description: 'OK' } },
  };
}

function prefix(r: ResourceType): string {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

function groupVersions(registry: ResourceRegistry): string[] {
  return [...new Set(registry.all().map(prefix))];
}
