import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/**
 * Reads the lines appended to a file that another process is writing (k6's `--out json=`),
 * from where the last read stopped; a partial last line waits for the next read.
 */
export class FileTail {
  private handle: FileHandle | null = null;
  private offset = 0;
  private rest = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly file: string) {}

  async read(): Promise<string[]> {
    if (!this.handle) {
      try {
        this.handle = await open(this.file, 'r');
      } catch {
        return []; // not created yet
      }
    }
    const lines: string[] = [];
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const { bytesRead } = await this.handle.read(buf, 0, buf.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      const text = this.rest + this.decoder.write(buf.subarray(0, bytesRead));
      const parts = text.split('\n');
      this.rest = parts.pop() ?? '';
      lines.push(...parts);
    }
    return lines;
  }

  /** Every line left, including a last one without a newline. */
  async finish(): Promise<string[]> {
    const lines = await this.read();
    if (this.rest !== '') lines.push(this.rest);
    this.rest = '';
    await this.handle?.close();
    this.handle = null;
    return lines;
  }
}
