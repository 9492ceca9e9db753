export * from './errors.js';
export * from './exit-codes.js';
export * from './units.js';
export * from './clock.js';
export * from './log.js';
export * from './version.js';
export * from './command.js';
export * from './atomic-file.js';
