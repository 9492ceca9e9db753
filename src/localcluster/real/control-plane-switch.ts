import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/index.js';
import { readJsonBody, send, type AdminHandler } from '../apiserver/index.js';
import type { ControlPlane } from '../controlplane/index.js';

const LIST_PATH = '/crt/v1/control-plane';
const PROCESS_PATH = /^\/crt\/v1\/control-plane\/([a-z0-9-]+)$/;
/** how long a restart may take to be healthy again (an etcd member catching up, the API server's post-start hooks) */
const RESTART_TIMEOUT_MS = 90_000;

/**
 * crt's switch of the real control plane's processes, beside the nodes' power and link switches:
 * `GET /crt/v1/control-plane` lists them (`etcd-0`…, `kube-apiserver`, …) with their state;
 * `POST /crt/v1/control-plane/<id>` with `{"state":"stopped"}` kills one (a crash: SIGKILL), with
 * `{"state":"running"}` starts it again on its ports and data and answers once it is healthy. The
 * control-plane fault acts through it, so that `crt revert` can undo it after a crash from the
 * journal alone (the API server may be the process that is down).
 */
export function controlPlaneEndpoint(cp: ControlPlane): AdminHandler {
  const since = new Map<string, number>();
  const body = (id: string) => {
    const p = cp.processes().find((x) => x.id === id);
    if (!p) throw new ApiError(404, 'NotFound', `control-plane process "${id}" not found (processes: ${cp.processes().map((x) => x.id).join(', ')})`);
    return { kind: 'ControlPlaneProcess', id: p.id, component: p.component, state: p.running ? 'running' : 'stopped', ...(since.has(id) ? { since: new Date(since.get(id)!).toISOString() } : {}) };
  };
  return async (url: URL, req: IncomingMessage, res: ServerResponse) => {
    if (url.pathname === LIST_PATH && req.method === 'GET') {
      send(res, 200, { kind: 'ControlPlaneProcessList', items: cp.processes().map((p) => body(p.id)) });
      return true;
    }
    const m = PROCESS_PATH.exec(url.pathname);
    if (!m) return false;
    const id = m[1]!;
    body(id);
    if (req.method === 'GET') {
      send(res, 200, body(id));
      return true;
    }
    if (req.method !== 'POST' && req.method !== 'PUT') throw new ApiError(405, 'MethodNotAllowed', `the server does not allow the method ${req.method} on ${url.pathname}`);
    const state = ((await readJsonBody(req)) as { state?: unknown } | undefined)?.state;
    if (state !== 'stopped' && state !== 'running') throw new ApiError(400, 'BadRequest', `body must be {"state":"stopped"} or {"state":"running"}, not ${JSON.stringify(state)}`);
    if (state === 'stopped') await cp.killProcess(id);
    else await cp.restartProcess(id, RESTART_TIMEOUT_MS);
    since.set(id, Date.now());
    send(res, 200, body(id));
    return true;
  };
}
