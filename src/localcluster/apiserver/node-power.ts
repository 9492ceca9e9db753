import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/types.js';
import { rfc3339 } from '../store/object-names.js';
import { readJsonBody } from './request-body.js';
import { send } from './resource-handler.js';

export type PowerState = 'on' | 'off';

/** What the endpoint switches: a node agent. */
export interface PowerSwitchable {
  readonly name: string;
  readonly power: { state: PowerState; sinceMs: number };
  /** Resolves with the pids it killed once they have exited. */
  powerOff(): Promise<number[]>;
  powerOn(): void;
}

/** Handles a request under `/crt/`; false when the path is not one of its own. */
export type AdminHandler = (url: URL, req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const POWER_PATH = /^\/crt\/v1\/nodes\/([a-z0-9.-]+)\/power\/?$/;

/**
 * `GET|POST /crt/v1/nodes/<name>/power` with `{"state":"off"|"on"}`: crt's own admin endpoint to cut a
 * node's power (node-loss faults, `crt cluster node`). Not a Kubernetes API: a real cluster has none.
 */
export function nodePowerEndpoint(nodes: readonly PowerSwitchable[]): AdminHandler {
  return async (url, req, res) => {
    const m = POWER_PATH.exec(url.pathname);
    if (!m) return false;
    const node = nodes.find((n) => n.name === m[1]);
    if (!node) throw new ApiError(404, 'NotFound', `nodes "${m[1]}" not found`, { name: m[1]!, kind: 'nodes' });
    let killedPids: number[] | undefined;
    if (req.method === 'POST' || req.method === 'PUT') {
      const body = await readJsonBody(req) as { state?: unknown } | undefined;
      const state = body?.state;
      if (state !== 'on' && state !== 'off') throw new ApiError(400, 'BadRequest', `body must be {"state":"on"} or {"state":"off"}, not ${JSON.stringify(body)}`);
      if (state === 'off') killedPids = await node.powerOff();
      else node.powerOn();
    } else if (req.method !== 'GET') {
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow the method ${req.method} on ${url.pathname}`);
    }
    const { state, sinceMs } = node.power;
    send(res, 200, { kind: 'NodePower', node: node.name, state, since: rfc3339(sinceMs), ...(killedPids ? { killedPids } : {}) });
    return true;
  };
}
