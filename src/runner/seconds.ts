import type { GeneratorMessage } from '../load/index.js';
import { mergeSamples, type LoadSample } from '../results/index.js';

/** A second every generator has reported: its per-generator samples and their exact merge. */
export interface FinalSecond {
  sec: number;
  samples: LoadSample[];
  merged: LoadSample;
}

/**
 * Collects the generators' samples and releases each second once every generator that is
 * still running has reported past it, in order. Seconds no generator worked in are skipped.
 */
export class SecondAssembler {
  private readonly watermark: number[];
  private readonly pending = new Map<number, LoadSample[]>();

  constructor(generators: number) {
    this.watermark = Array.from({ length: generators }, () => 0);
  }

  add(m: GeneratorMessage): FinalSecond[] {
    if (m.type === 'samples') {
      for (const s of m.samples) {
        const list = this.pending.get(s.sec);
        if (list) list.push(s);
        else this.pending.set(s.sec, [s]);
      }
      this.watermark[m.generator] = Math.max(this.watermark[m.generator] ?? 0, m.upToSec);
    } else if (m.type === 'done') {
      this.watermark[m.generator] = Infinity;
    }
    return this.release(Math.min(...this.watermark));
  }

  /** Every second still held (the load ended or was aborted). */
  finish(): FinalSecond[] {
    return this.release(Infinity);
  }

  private release(upTo: number): FinalSecond[] {
    const out: FinalSecond[] = [];
    const secs = [...this.pending.keys()].filter((s) => s < upTo).sort((a, b) => a - b);
    for (const sec of secs) {
      const samples = this.pending.get(sec) as LoadSample[];
      this.pending.delete(sec);
      out.push({ sec, samples, merged: mergeSamples(samples) });
    }
    return out;
  }
}
