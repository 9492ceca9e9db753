/** How a request failed. `status` is an HTTP status outside the scenario's `okStatus`. */
export type FailureClass = 'status' | 'timeout' | 'refused' | 'reset' | 'other';
export const FAILURE_CLASSES: readonly FailureClass[] = ['status', 'timeout', 'refused', 'reset', 'other'];
export type FailureCounts = Record<FailureClass, number>;
