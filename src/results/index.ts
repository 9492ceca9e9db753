export * from './types.js';
export * from './stats.js';
export * from './histogram.js';
export * from './run-folder.js';
