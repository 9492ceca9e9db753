export type { Sink } from './sink.js';
export { SinkSet } from './sink-set.js';
export { FileSink } from './file-sink.js';
