import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/index.js';
import { rfc3339 } from '../store/index.js';
import { readJsonBody } from './request-body.js';
import { send } from './resource-handler.js';

export type PowerState = 'on' | 'off';

/** What the endpoint switches: a node agent. */
export interface PowerSwitchable {
  readonly name: string;
  readonly power: { state: PowerState; sinceMs: number };
  /** Resolves with the pids it killed once they have exited. */
  powerOff(): Promise<number[]>;
  /** Resolves (when it returns a promise) once the node is powered again. */
  powerOn(): void | Promise<void>;
}

export type LinkState = 'up' | 'down';

/** What the link endpoint switches: a node agent. */
export interface LinkSwitchable {
  readonly name: string;
  readonly link: { state: LinkState; sinceMs: number };
  /** Returns (or resolves with) how many established connections across the partition it reset. */
  linkDown(): number | Promise<number>;
  linkUp(): void | Promise<void>;
}

/** Handles a request under `/crt/`; false when the path is not one of its own. */
export type AdminHandler = (url: URL, req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const POWER_PATH = /^\/crt\/v1\/nodes\/([a-z0-9.-]+)\/power\/?$/;
const LINK_PATH = /^\/crt\/v1\/nodes\/([a-z0-9.-]+)\/link\/?$/;

/**
 * `GET|POST /crt/v1/nodes/<name>/power` with `{"state":"off"|"on"}`: crt's own admin endpoint to cut a
 * node's power (node-loss faults, `crt cluster node`). Not a Kubernetes API: a real cluster has none.
 */
export function nodePowerEndpoint(nodes: readonly PowerSwitchable[]): AdminHandler {
  return switchEndpoint(POWER_PATH, nodes, ['on', 'off'], async (node, state) => {
    if (state === 'on') {
      await node.powerOn();
      return powerBody(node);
    }
    const killedPids = await node.powerOff();
    return { ...powerBody(node), killedPids };
  }, powerBody);
}

const powerBody = (node: PowerSwitchable): object => ({ kind: 'NodePower', node: node.name, state: node.power.state, since: rfc3339(node.power.sinceMs) });

/**
 * `GET|POST /crt/v1/nodes/<name>/link` with `{"state":"down"|"up"}`: cuts a node's network link (node-loss
 * `mode: link`): its pods keep running, nothing reaches it, and it reaches nothing off the node. A
 * link-down answer also gives `cutConnections`, the established connections it reset.
 */
export function nodeLinkEndpoint(nodes: readonly LinkSwitchable[]): AdminHandler {
  return switchEndpoint(LINK_PATH, nodes, ['down', 'up'], async (node, state) => {
    if (state === 'up') {
      await node.linkUp();
      return linkBody(node);
    }
    const cutConnections = await node.linkDown();
    return { ...linkBody(node), cutConnections };
  }, linkBody);
}

const linkBody = (node: LinkSwitchable): object => ({ kind: 'NodeLink', node: node.name, state: node.link.state, since: rfc3339(node.link.sinceMs) });

/** GET answers `read(node)`; POST/PUT with `{"state": one of states}` answers `change(node, state)`. */
function switchEndpoint<N extends { readonly name: string }, S extends string>(
  pattern: RegExp, nodes: readonly N[], states: readonly [S, S], change: (node: N, state: S) => Promise<object>, read: (node: N) => object,
): AdminHandler {
  return async (url, req, res) => {
    const m = pattern.exec(url.pathname);
    if (!m) return false;
    const node = nodes.find((n) => n.name === m[1]);
    if (!node) throw new ApiError(404, 'NotFound', `nodes "${m[1]}" not found`, { name: m[1]!, kind: 'nodes' });
    if (req.method === 'POST' || req.method === 'PUT') {
      const body = await readJsonBody(req) as { state?: unknown } | undefined;
      const state = body?.state;
      if (!states.includes(state as S)) {
        throw new ApiError(400, 'BadRequest', `body must be {"state":"${states[0]}"} or {"state":"${states[1]}"}, not ${JSON.stringify(body)}`);
      }
      send(res, 200, await change(node, state as S));
    } else if (req.method === 'GET') {
      send(res, 200, read(node));
    } else {
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow the method ${req.method} on ${url.pathname}`);
    }
    return true;
  };
}
