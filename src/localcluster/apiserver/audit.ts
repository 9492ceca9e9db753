import { appendFileSync } from 'node:fs';

/**
 * What an API request asks for, in the terms Kubernetes authorization uses (RBAC rules, `kubectl auth
 * can-i`, audit logs): the verb, API group, resource, subresource, namespace and name. Hand-written after
 * the API server's RequestInfoFactory (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go): no npm
 * package derives these from a request, and crt needs exactly the server's answer to check its RBAC.
 */
export interface RequestAttributes {
  /** false for `/version`, `/api`, `/apis/apps/v1`, `/healthz`, `/openapi/…` and crt's `/crt/…` */
  resourceRequest: boolean;
  /** get, list, watch, create, update, patch, delete, deletecollection; the lowercase HTTP method for non-resource URLs */
  verb: string;
  /** '' for the core group */
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped requests (and requests across all namespaces) */
  namespace: string;
  name: string;
  path: string;
}

/** One served request: its attributes, when, and the status code answered. */
export interface AuditRecord extends RequestAttributes {
  at: string;
  method: string;
  code: number;
  userAgent: string;
}

/** Called once per request, when its answer is complete (a watch: when the stream ends). */
export type AuditListener = (record: AuditRecord) => void;

/** The environment variable that makes the embedded cluster append every request, as JSON lines, to a file. */
export const AUDIT_FILE_ENV = 'CRT_APISERVER_AUDIT';

const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** The attributes of a request, as the Kubernetes API server computes them for its authorizers. */
export function requestAttributes(method: string, url: URL): RequestAttributes {
  const path = url.pathname;
  const out: RequestAttributes = { resourceRequest: false, verb: method.toLowerCase(), apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '', path };
  let parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return out;
  const grouped = parts[0] === 'apis';
  parts = parts.slice(1);
  if (grouped) {
    if (parts.length < 3) return out;
    out.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  out.resourceRequest = true;
  out.apiVersion = parts[0]!;
  parts = parts.slice(1);
  if (SPECIAL_VERBS.has(parts[0]!)) {
    out.verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    out.verb = ({ POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method.toUpperCase()] ?? '';
  }
  // /namespaces/{ns}/{resource}/…: the namespace object itself (/namespaces/{ns}[/status]) stays resource "namespaces"
  if (parts[0] === 'namespaces' && parts.length > 1) {
    out.namespace = parts[1]!;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
  }
  out.resource = parts[0] ?? '';
  out.name = parts[1] ?? '';
  if (parts.length >= 3 && out.verb !== 'proxy') out.subresource = parts[2]!;
  if (!out.name && out.verb === 'get') {
    out.verb = isTrue(url.searchParams.get('watch')) ? 'watch' : 'list';
    // a list or watch of one object by field selector is authorized for that name (resourceNames)
    const byName = /^metadata\.name==?([^,]+)$/.exec(url.searchParams.get('fieldSelector') ?? '');
    if (byName) out.name = byName[1]!;
  }
  if (!out.name && out.verb === 'delete') out.verb = 'deletecollection';
  return out;
}

/** strconv.ParseBool's true values, as the server decodes `?watch=`. */
function isTrue(v: string | null): boolean {
  return v !== null && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
}

/** An AuditListener that appends one JSON line per request to `file` (synchronously: no line is lost at exit). */
export function auditFileWriter(file: string): AuditListener {
  return (record) => appendFileSync(file, `${JSON.stringify(record)}\n`);
}
