#!/usr/bin/env node
// Writes the published JSON Schemas of the plan format from the TypeBox source of truth
// (src/plan/schema*.ts, compiled into dist/). Run through `npm run gen:schema`, which builds first;
// test/unit/plan/schema.test.ts fails when a published file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ChaosSchema, PlanSchema, ScenarioSchema } from '../dist/src/plan/index.js';

const published = {
  'plan.schema.json': PlanSchema,
  'scenario.schema.json': ScenarioSchema,
  'chaos.schema.json': ChaosSchema,
};

for (const [name, schema] of Object.entries(published)) {
  const file = fileURLToPath(new URL(`../test-plans/${name}`, import.meta.url));
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.error(`wrote ${file}`);
}
