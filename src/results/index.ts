export * from './types.js';
export * from './stats.js';
export * from './histogram.js';
export * from './run-folder.js';
export * from './regression.js';
export * from './compare.js';
export * from './last-good.js';
export * from './studies.js';
