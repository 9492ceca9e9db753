import { appendFile, readFile, writeFile } from 'node:fs/promises';
import type { CrtPoint } from './influx-points.js';

export const SPOOL_FILE = 'influx-spool.jsonl';

/**
 * Points InfluxDB did not take yet, one JSON point per line in write order, in the run folder: the sink
 * appends a batch it could not write and replays the file, oldest first, once InfluxDB answers again;
 * `crt push <run>` replays what a run left behind. Not line protocol, so a spool can be read and
 * filtered with jq; the file is emptied only after every point in it was written.
 */
export class Spool {
  private lines = 0;

  constructor(readonly file: string) {}

  /** Points waiting in the file. */
  get count(): number {
    return this.lines;
  }

  /** Counts what an earlier process left in the file (for `crt push`). */
  async load(): Promise<number> {
    this.lines = (await this.readAll()).length;
    return this.lines;
  }

  async append(points: readonly CrtPoint[]): Promise<void> {
    if (points.length === 0) return;
    await appendFile(this.file, points.map((p) => JSON.stringify(p)).join('\n') + '\n');
    this.lines += points.length;
  }

  async readAll(): Promise<CrtPoint[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as CrtPoint);
  }

  /** Keeps only `rest` (the points not written yet), in order. */
  async replace(rest: readonly CrtPoint[]): Promise<void> {
    await writeFile(this.file, rest.length ? rest.map((p) => JSON.stringify(p)).join('\n') + '\n' : '');
    this.lines = rest.length;
  }
}
