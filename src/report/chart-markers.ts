import type { ChartMarker } from './chart-data.js';
import type { Scale } from './chart-scale.js';
import { formatOffset } from './format.js';

/**
 * Numbered event markers: each marker of a chart gets a number (in time order) drawn in a small
 * circle above the plot, and a printed key under it. Markers closer than a circle's width go to
 * the next lane up, so two numbers never overprint.
 */

export const LANE_HEIGHT = 20;
const CIRCLE_PX = 20;
/** approximate advance of one character at font-size 11, to keep labels apart without a DOM */
export const CHAR_PX = 6.4;

export interface PlacedMarker extends ChartMarker {
  number: number;
  lane: number;
}

const KIND_TEXT: Record<ChartMarker['kind'], string> = {
  inject: 'fault injected',
  revert: 'fault reverted',
  client: 'clients recovered',
  cluster: 'cluster recovered',
};

export function markerLanes(markers: readonly ChartMarker[], x: Scale): PlacedMarker[] {
  const laneEnds: number[] = [];
  return markers.map((m, i) => {
    const at = x(m.sec);
    let lane = laneEnds.findIndex((end) => at - end >= CIRCLE_PX);
    if (lane === -1) lane = laneEnds.length;
    laneEnds[lane] = at;
    return { ...m, number: i + 1, lane };
  });
}

/** `1 +10.0 s fault injected: kill-gateway` */
export function markerKeyText(m: PlacedMarker): string {
  const what = m.kind === 'inject' || m.kind === 'revert' ? `${KIND_TEXT[m.kind]}: ${m.name}` : KIND_TEXT[m.kind];
  return `${m.number}. ${formatOffset(m.sec * 1000)} ${what}`;
}

/** The key's entries, two to a line (the second at half the width) when both fit in their half. */
export function keyLines(markers: readonly PlacedMarker[], widthPx: number): string[][] {
  const texts = markers.map(markerKeyText);
  const half = Math.floor((widthPx / 2 - 12) / CHAR_PX);
  const lines: string[][] = [];
  for (let i = 0; i < texts.length; i++) {
    const a = texts[i] as string;
    const b = texts[i + 1];
    if (b !== undefined && a.length <= half && b.length <= half) {
      lines.push([a, b]);
      i++;
    } else lines.push([a]);
  }
  return lines;
}
