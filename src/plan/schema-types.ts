import type { Static } from '@sinclair/typebox';
import type { ClusterSchema, SinksSchema } from './schema.js';

export type ClusterDoc = Static<typeof ClusterSchema>;
export type SinksDoc = Static<typeof SinksSchema>;
