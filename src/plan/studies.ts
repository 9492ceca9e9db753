import type { FileSet } from './files.js';
import { location } from './normalize-load.js';
import type { StudyDoc } from './schema.js';
import type { CaseSpec, LoadSpec, StudySpec } from './types.js';
import type { DocPath, YamlSource } from './yaml-source.js';

/**
 * A case's `study:` as the rows it gives: one per stage of a staged load (by stage name), or one
 * for the whole case (`step:`, else the case id). `staged` says whether the load (with its scenario
 * files) wrote `stages:` — a load without them has one implicit stage, which is the whole case.
 */
export function normalizeStudy(
  doc: StudyDoc | undefined, c: { id: string; load?: unknown }, load: LoadSpec | null, staged: boolean,
  at: DocPath, source: YamlSource, files: FileSet,
): StudySpec | null {
  if (!doc) return null;
  const where = [...at, 'study'];
  if (!load) {
    // a load written but invalid is reported where it is wrong
    if (c.load !== undefined) return null;
    files.error(source, where, `case ${c.id} is in load study ${doc.name} but has no load`, 'a load study compares the figures of loads: give the case a load, or remove study:');
    return null;
  }
  if (staged && doc.step !== undefined) {
    files.error(source, [...where, 'step'], 'step names the row of a case without stages: this load has stages, and each stage is a row (by its name)', 'remove step:, or name the stages as the rows should read');
    return null;
  }
  const steps = staged ? load.stages.map((s) => ({ name: s.name, stage: s.index })) : [{ name: doc.step ?? c.id, stage: null }];
  return { name: doc.name, variant: doc.variant, steps, location: location(source, where) };
}

/**
 * Every (study, variant, step) is one cell of the comparison: a second case (or stage) giving the same
 * one would make the table pick one of two measurements. Located at the later case's `study:`.
 */
export function checkStudySteps(cases: ReadonlyArray<{ spec: CaseSpec; at: DocPath }>, source: YamlSource, files: FileSet): void {
  const seen = new Map<string, { id: string; at: string }>();
  for (const { spec, at } of cases) {
    const study = spec.study;
    if (!study) continue;
    for (const step of study.steps) {
      const key = JSON.stringify([study.name, study.variant, step.name]);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, { id: spec.id, at: `${study.location.file}:${study.location.line}` });
        continue;
      }
      files.error(
        source, [...at, 'study'],
        first.id === spec.id
          ? `load study ${study.name}, variant ${study.variant}: two stages are named "${step.name}", and each stage is a row`
          : `load study ${study.name}, variant ${study.variant}: step "${step.name}" is given twice (first by ${first.id} at ${first.at})`,
        step.stage === null ? 'give this case its own step: (the row label), or another variant' : 'rename the stage, or put the case in another variant',
      );
    }
  }
}
