import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { EventLog } from './event-log.js';
import { errorText } from './event-log.js';
import { StoreData } from './store-data.js';

/**
 * The store's DATA_DIR: one JSON snapshot, written a short while after changes (many writes
 * under load become one file write) and always whole: a temp file, fsynced, renamed over the
 * old one, so a kill at any moment leaves either the previous or the next snapshot, never half.
 */
export const SNAPSHOT_FILE = 'store.json';

export class SnapshotFile {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private writes = 0;
  private lastSavedAt: string | undefined;

  private constructor(
    readonly dir: string,
    private readonly data: StoreData,
    private readonly debounceMs: number,
    private readonly log: EventLog,
  ) {}

  /** Loads the snapshot in `dir`, or seeds fresh data (and saves it) when there is none. */
  static async open(dir: string, debounceMs: number, log: EventLog): Promise<SnapshotFile> {
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, SNAPSHOT_FILE);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    const data = text === undefined ? StoreData.seeded() : StoreData.fromSnapshot(parse(text, file));
    const snapshots = new SnapshotFile(dir, data, debounceMs, log);
    log('snapshot-loaded', { file, found: text !== undefined, ...data.stats() });
    if (text === undefined) await snapshots.flush(true);
    return snapshots;
  }

  get store(): StoreData {
    return this.data;
  }

  get path(): string {
    return path.join(this.dir, SNAPSHOT_FILE);
  }

  /** Called after every change; the write happens debounceMs after the first unsaved one. */
  changed(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch((err: unknown) => this.log('snapshot-failed', { error: errorText(err) }));
    }, this.debounceMs);
  }

  /** Writes now if anything changed (or `force`); waits for a write already under way first. */
  async flush(force = false): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // the caller of that write hears of its failure; this one only needs it finished
    while (this.writing) await this.writing.catch(() => undefined);
    if (!this.dirty && !force) return;
    this.dirty = false;
    this.writing = this.write()
      .catch((err: unknown) => {
        this.dirty = true; // unsaved still: the next change or the shutdown flush tries again
        throw err;
      })
      .finally(() => (this.writing = undefined));
    await this.writing;
  }

  info(): { file: string; writes: number; lastSavedAt: string | null; pending: boolean } {
    return { file: this.path, writes: this.writes, lastSavedAt: this.lastSavedAt ?? null, pending: this.dirty };
  }

  private async write(): Promise<void> {
    const snapshot = this.data.snapshot(new Date());
    const tmp = `${this.path}.${process.pid}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(snapshot));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.path);
    this.writes++;
    this.lastSavedAt = snapshot.savedAt;
  }
}

function parse(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${file} is not JSON: ${errorText(err)}`, { cause: err });
  }
}
