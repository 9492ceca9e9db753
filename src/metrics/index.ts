export type { Sink } from './sink.js';
export { SinkSet } from './sink-set.js';
export { FileSink } from './file-sink.js';
export { InfluxSink, type InfluxSinkOptions } from './influx-sink.js';
export { InfluxWriter } from './influx-writer.js';
export { INFLUX_ENV, DEFAULT_INFLUX_DATABASE, describeInfluxConfig, redactUrl, resolveInfluxConfig, type InfluxConfig } from './influx-config.js';
export { INFLUX_MEASUREMENTS, UniqueTimes, casePoint, clusterEventPoint, clusterPoint, eventPoint, loadPoint, samplePoints, servedByPoints, sessionPoints, type CrtPoint, type Measurement } from './influx-points.js';
export { SPOOL_FILE, Spool } from './influx-spool.js';
export { lastGoodFromInflux } from './influx-last-good.js';
