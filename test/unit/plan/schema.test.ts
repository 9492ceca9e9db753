import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { expect } from 'chai';
import { DURATION_PATTERN, PERCENT_PATTERN } from '../../../src/core/units.js';
import { INCREASE_PATTERN, RATE_INCREASE_PATTERN } from '../../../src/results/regression.js';
import { substituteEnv } from '../../../src/plan/env.js';
import { ChaosSchema, PlanSchema, ScenarioSchema } from '../../../src/plan/index.js';
import { YamlSource } from '../../../src/plan/yaml-source.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const plansDir = path.join(root, 'test/fixtures/plans');
const published = { plan: PlanSchema, scenario: ScenarioSchema, chaos: ChaosSchema };
type Name = keyof typeof published;

function publishedText(name: Name): string {
  return readFileSync(path.join(root, 'test-plans', `${name}.schema.json`), 'utf8');
}

function publishedJson(name: Name): Record<string, unknown> {
  return JSON.parse(publishedText(name)) as Record<string, unknown>;
}

/** A YAML file as a third-party tool sees it once crt has substituted ${ENV} (with no variable set). */
function documentOf(file: string): unknown {
  const source = new YamlSource(file, readFileSync(file, 'utf8'));
  const { problems } = substituteEnv(source, {});
  expect(problems, file).to.deep.equal([]);
  return source.toJS();
}

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));

const documents: Array<[Name, string]> = [
  ...yamlFiles(plansDir).map((f): [Name, string] => ['plan', f]),
  ...yamlFiles(path.join(plansDir, 'scenarios')).map((f): [Name, string] => ['scenario', f]),
  ...yamlFiles(path.join(plansDir, 'chaos')).map((f): [Name, string] => ['chaos', f]),
];

/**
 * Two ways a third-party tool may read the published schemas:
 * - strict: Ajv in strict mode, told about crt's extensions — the formats (duration, percent,
 *   every, regex, abort-rule, increase, rate-increase, checked with the same grammar as crt), the `x-expected` annotation
 *   and the `discriminator` keyword;
 * - lenient: Ajv with `strict: false` and formats ignored, like an editor that knows none of them.
 */
function strictAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, discriminator: true });
  ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
  const duration = new RegExp(DURATION_PATTERN);
  ajv.addFormat('duration', duration);
  ajv.addFormat('percent', new RegExp(PERCENT_PATTERN));
  ajv.addFormat('every', { type: 'string', validate: (s: string) => /^every\s+\S+$/.test(s) && duration.test(s.replace(/^every\s+/, '')) });
  ajv.addFormat('regex', {
    type: 'string',
    validate: (s: string) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    },
  });
  ajv.addFormat('increase', new RegExp(INCREASE_PATTERN));
  ajv.addFormat('rate-increase', new RegExp(RATE_INCREASE_PATTERN));
  ajv.addFormat('abort-rule', /^\s*[A-Za-z0-9]+\s*(>=|<=|>|<)\s*\S+\s+for\s+\S+\s*$/);
  ajv.addFormat('http-url', { type: 'string', validate: (s: string) => URL.canParse(s) });
  return ajv;
}

function lenientAjv(): Ajv {
  return new Ajv({ allErrors: true, strict: false, validateFormats: false });
}

const description = (schema: Record<string, unknown>, pointer: string): unknown => {
  let node: unknown = schema;
  for (const key of pointer.split('/')) node = (node as Record<string, unknown> | undefined)?.[key];
  const n = node as { description?: unknown; $ref?: string } | undefined;
  if (n?.description === undefined && n?.$ref) return description(schema, n.$ref.replace(/^#\//, ''));
  return n?.description;
};

describe('published JSON Schemas (test-plans/*.schema.json)', () => {
  for (const name of Object.keys(published) as Name[]) {
    it(`test-plans/${name}.schema.json is up to date`, () => {
      const want = `${JSON.stringify(published[name], null, 2)}\n`;
      if (publishedText(name) !== want) {
        expect.fail(`test-plans/${name}.schema.json is stale: run \`npm run gen:schema\` and commit the result`);
      }
    });

    it(`${name}.schema.json declares draft-07, an $id and a title, for editors`, () => {
      const json = publishedJson(name);
      expect(json.$schema).to.equal('http://json-schema.org/draft-07/schema#');
      expect(json.$id).to.equal(`https://crt.io/schemas/v1/${name}.schema.json`);
      expect(json.title).to.be.a('string').and.not.equal('');
      expect(json.description).to.be.a('string').and.not.equal('');
    });
  }

  it('describes the main fields of a plan, for editor hovers', () => {
    const json = publishedJson('plan');
    const fields = [
      'properties/apiVersion',
      'properties/metadata',
      'properties/metadata/properties/name',
      'properties/defaults',
      'properties/defaults/properties/load',
      'properties/targets',
      'properties/cluster',
      'properties/sinks',
      'properties/layers',
      'properties/layers/properties/physical',
      'properties/layers/properties/logical',
      'properties/layers/properties/auxiliary',
      ...['id', 'title', 'objective', 'conditions', 'load', 'trigger', 'expect', 'abortIf', 'recovery', 'tags', 'timeout'].map((k) => `definitions/case/properties/${k}`),
      ...['target', 'url', 'path', 'connections', 'rate', 'duration', 'requests', 'stages', 'generators', 'stagger', 'timeout', 'okStatus', 'headers'].map(
        (k) => `definitions/load/properties/${k}`,
      ),
      ...['whole', 'baseline', 'fault', 'recovery', 'after', 'recoveryTime', 'probes'].map((k) => `definitions/case/properties/expect/properties/${k}`),
      ...['errorRate', 'p99', 'rps'].map((k) => `definitions/phaseExpect/properties/${k}`),
      'definitions/action',
      'definitions/probe',
    ];
    const missing = fields.filter((f) => typeof description(json, f) !== 'string' || description(json, f) === '');
    expect(missing, 'fields without a description').to.deep.equal([]);
  });

  it('is compact: each case, load, probe and action is published once, under definitions', () => {
    const json = publishedJson('plan');
    expect(Object.keys(json.definitions as object)).to.have.members(['case', 'load', 'action', 'probe', 'phaseExpect']);
    expect(publishedText('plan').length).to.be.below(150_000);
  });

  for (const [flavour, make] of [
    ['strict Ajv with crt formats', strictAjv],
    ['lenient Ajv ignoring formats', lenientAjv],
  ] as const) {
    describe(`read by a ${flavour}`, () => {
      const ajv = make();
      const validators = {} as Record<Name, ValidateFunction>;
      before(() => {
        for (const name of Object.keys(published) as Name[]) validators[name] = ajv.compile(publishedJson(name));
      });

      for (const [name, file] of documents) {
        it(`accepts ${path.relative(plansDir, file)}`, () => {
          const validate = validators[name];
          const ok = validate(documentOf(file));
          expect(ok, ajv.errorsText(validate.errors)).to.equal(true);
        });
      }

      it('rejects a plan with a float connection count', () => {
        const bad = documentOf(path.join(root, 'test/fixtures/bad-plans/connections-float.yaml'));
        expect(validators.plan(bad)).to.equal(false);
        expect(validators.plan.errors?.map((e) => e.instancePath)).to.include('/layers/logical/0/load/connections');
      });

      const checksFormats = make === strictAjv;
      it(checksFormats ? 'rejects "10 s" as a duration' : 'lets "10 s" pass as a duration: it checks no format', () => {
        const malformed = documentOf(path.join(root, 'test/fixtures/bad-plans/duration-malformed.yaml'));
        expect(validators.plan(malformed)).to.equal(!checksFormats);
      });
    });
  }
});
