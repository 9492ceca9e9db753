// localcluster/node: the simulated nodes, as the rest of the embedded cluster uses them (eslint/deps.mjs).
export { defaultTolerationSeconds } from './default-toleration-seconds.js';
export { NodeAgent } from './node-agent.js';
export type { NodeCapacity } from './node-object.js';
