/** The three layers of a CRT (acceptance test book): where in the stack a case breaks something. */
export type Layer = 'physical' | 'logical' | 'auxiliary';
export const LAYERS: readonly Layer[] = ['physical', 'logical', 'auxiliary'];
