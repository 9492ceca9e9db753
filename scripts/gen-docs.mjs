#!/usr/bin/env node
// Writes the generated pages of docs/reference/ from their sources of truth, compiled into dist/:
// the commander program (cli.md), the exit-code table and the error classes (errors.md), and the
// TypeBox schema of the plan format with its descriptions (plan.md, faults.md, probes.md).
// The prose around the generated tables lives in scripts/docs-templates/<page>.md, whose
// `<!-- gen:NAME ARG -->` lines are replaced here, so that every page is fully reproducible.
// Run through `npm run gen:docs`, which builds first; test/unit/docs/generated.test.ts fails when a
// page is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildProgram } from '../dist/src/cli/main.js';
import { CrtError, EnvironmentError, ExitCode, PlanError, RevertError, UnsupportedError, UsageError, exitCodeDescriptions } from '../dist/src/core/index.js';
import { ManifestError } from '../dist/src/localcluster/index.js';
import { ChaosSchema, FAULT_KINDS, PROBE_KINDS, PlanSchema } from '../dist/src/plan/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The generated pages, relative to the repository root, each with its template. */
export const GENERATED_PAGES = {
  'docs/reference/cli.md': 'scripts/docs-templates/cli.md',
  'docs/reference/errors.md': 'scripts/docs-templates/errors.md',
  'docs/reference/plan.md': 'scripts/docs-templates/plan.md',
  'docs/reference/faults.md': 'scripts/docs-templates/faults.md',
  'docs/reference/probes.md': 'scripts/docs-templates/probes.md',
};

// ---------------------------------------------------------------- markdown helpers

const cell = (text) => String(text ?? '').replace(/\|/g, '\\|').replace(/\n+/g, ' ').trim();
const code = (text) => `\`${text}\``;

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/**
 * GitHub's heading anchor: lower case, punctuation dropped (letters, digits, spaces, `-` and `_`
 * kept), spaces to `-`. The link test (test/unit/docs/links.test.ts) computes it the same way.
 */
export function slug(heading) {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

// ---------------------------------------------------------------- CLI (commander)

function commandName(cmd) {
  const names = [];
  for (let c = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function renderCommand(cmd, help, depth) {
  const out = [`${'#'.repeat(depth)} ${code(commandName(cmd))}`, ''];
  out.push('```', help.commandUsage(cmd), '```', '');
  const description = help.commandDescription(cmd);
  if (description) out.push(description, '');
  const args = help.visibleArguments(cmd);
  if (args.length) out.push(table(['argument', 'meaning'], args.map((a) => [code(help.argumentTerm(a)), help.argumentDescription(a)])), '');
  const options = help.visibleOptions(cmd);
  if (options.length) out.push(table(['option', 'meaning'], options.map((o) => [code(help.optionTerm(o)), help.optionDescription(o)])), '');
  const subcommands = help.visibleCommands(cmd);
  if (subcommands.length) {
    out.push(table(['command', 'what it does'], subcommands.map((c) => [code(`${commandName(cmd)} ${help.subcommandTerm(c)}`), help.subcommandDescription(c)])), '');
  }
  for (const sub of subcommands) {
    if (sub.name() === 'help') continue;
    out.push(...renderCommand(sub, help, depth + 1));
  }
  return out;
}

function cliCommands() {
  const io = { stdout: { write: () => true }, stderr: { write: () => true } };
  const program = buildProgram(io, [], () => undefined);
  const help = program.createHelp();
  // long descriptions stay on one line: the table cell wraps them, not commander
  help.helpWidth = Number.MAX_SAFE_INTEGER;
  return renderCommand(program, help, 2).join('\n').trimEnd();
}

function exitCodes() {
  const names = Object.fromEntries(Object.entries(ExitCode).map(([name, value]) => [value, name]));
  return table(['code', 'name (`ExitCode.…`)', 'meaning'], exitCodeDescriptions.map(([value, meaning]) => [String(value), code(names[value]), meaning]));
}

// ---------------------------------------------------------------- errors

/** Cause and fix of each error code: prose kept beside the classes so that a new code cannot go undocumented. */
const ERROR_HELP = {
  PLAN_INVALID: ['A plan, scenario or chaos file breaks the format or a semantic rule; every problem is printed as `file:line:col path: message` with a hint.', 'Fix each located problem (`crt validate` lists them all at once).'],
  USAGE: ['The command line, or a value it names, is wrong: an unknown run, a `--run-id` that is not a folder name, a `--grafana-url` without `{from}` and `{to}`, a sign-off file with an unknown key, a context or namespace outside the plan\'s allowlists.', 'Correct the command; the message names the flag or value.'],
  UNSUPPORTED: ['The plan asks for something this build of crt cannot perform.', 'Use another fault, provider or setting; the message says which.'],
  ENV_UNAVAILABLE: ['The environment is not usable: a target unreachable at start, a cluster that cannot be reached, manifests that never become available, an InfluxDB that cannot be written, faults of an earlier run still in place, another run holding the cluster\'s lease, an output folder that cannot be written, too few file descriptors.', 'Fix the environment the message names (`--revert-first`, `crt revert`, `ulimit -n`, the sink\'s URL or credentials) and run again.'],
  REVERT_FAILED: ['A revert failed, or was refused because the object changed since the fault or its journal names no cluster: the cluster may still hold injected faults.', 'Read `journal.jsonl`, then `crt revert --run <run-id>` (`--force` to overwrite a changed object).'],
  MANIFEST_INVALID: ['A manifest of `cluster.local.manifests` (or `crt cluster up --demo`) cannot be read, parsed or applied to the embedded cluster.', 'Fix the manifest the message names; `kubectl apply -f` against `crt cluster up` shows the same answer.'],
};

function errorClasses() {
  const samples = [new PlanError([]), new UsageError(''), new UnsupportedError(''), new EnvironmentError(''), new RevertError(''), new ManifestError('')];
  const rows = samples.map((e) => {
    if (!(e instanceof CrtError)) throw new Error(`${e.name} is not a CrtError`);
    const help = ERROR_HELP[e.code];
    if (!help) throw new Error(`gen-docs: no cause and fix for error code ${e.code}: add it to ERROR_HELP`);
    return [code(e.code), code(e.constructor.name), String(e.exitCode), help[0], help[1]];
  });
  return table(['code', 'class', 'exit code', 'cause', 'fix'], rows);
}

// ---------------------------------------------------------------- schema

const FORMATS = {
  duration: 'duration',
  percent: 'percentage',
  'http-url': 'http(s) URL',
  regex: 'regular expression',
  every: '`every <duration>`',
  increase: 'increase (`+20%`, `+30s`, `+25% or +5ms`, `off`)',
  'rate-increase': 'increase in points (`+0.5%`, `off`)',
  'abort-rule': 'abort rule (`<metric> <op> <value> for <duration>`)',
};

/** Where a `$ref`'d definition is documented, when it is not a section of the page being written. */
const ELSEWHERE = {
  probe: 'probes.md',
  action: 'faults.md',
};

function typeOf(s, link) {
  if (s.$ref) return link(s.$ref.split('/').pop());
  if (s.allOf?.length === 1) return typeOf(s.allOf[0], link);
  if (s.const !== undefined) return code(JSON.stringify(s.const));
  if (s.anyOf) {
    if (s['x-expected']) return s['x-expected'];
    if (s.anyOf.every((b) => b.const !== undefined)) return s.anyOf.map((b) => code(b.const)).join(', ');
    return s.anyOf.map((b) => typeOf(b, link)).join(' or ');
  }
  if (s.oneOf) return `one of ${s.oneOf.length} kinds`;
  if (s.type === 'array') return `list of ${typeOf(s.items ?? {}, link)}`;
  if (s.type === 'object' && s.patternProperties) return `map of ${typeOf(Object.values(s.patternProperties)[0], link)}`;
  if (s.type === 'object' && s.properties) return s['x-expected'] ?? 'object';
  if (s.type === 'string') return s.format ? (FORMATS[s.format] ?? s.format) : 'string';
  if (s.type === 'integer' || s.type === 'number') {
    const range = [s.minimum ?? (s.exclusiveMinimum !== undefined ? `>${s.exclusiveMinimum}` : undefined), s.maximum].map((v) => v ?? '');
    return range.join('') ? `${s.type} (${range[0]}…${range[1]})`.replace('(…', '(≤ ').replace('…)', ' or more)') : s.type;
  }
  if (s.type) return s.type;
  return 'any';
}

/** The shared `Duration` and `Percent` say only what the type is, which the type column already says. */
const typeOnly = (description) => /^A (duration|percentage): /.test(description ?? '');

function keyRows(properties, required, link, tag) {
  return Object.entries(properties).map(([key, s]) => [
    code(key),
    key === tag ? 'one of the kinds above' : typeOf(s, link),
    required.includes(key) ? 'yes' : '',
    typeOnly(s.description) ? '' : (s.description ?? ''),
  ]);
}

const KEY_HEADER = ['key', 'type', 'required', 'description'];

/**
 * The plan format, section by section: each object gets its own section and table, each
 * published definition (case, load, phaseExpect) one section, linked from where it is used.
 */
function planSections() {
  const definitions = PlanSchema.definitions;
  const sections = [];
  const queued = new Set();
  const queue = [];
  const titleOf = (path) => `\`${path}\``;
  const enqueue = (path, schema) => {
    if (!queued.has(path)) {
      queued.add(path);
      queue.push({ path, schema });
    }
    return `[object](#${slug(titleOf(path))})`;
  };
  const linkDefinition = (name) => {
    if (ELSEWHERE[name]) return `[${name}](${ELSEWHERE[name]})`;
    enqueue(name, definitions[name]);
    return `[${name}](#${slug(titleOf(name))})`;
  };
  const objectLink = (path, s) => {
    // a bound such as {min: 100} says its shape in x-expected: a type, not a section
    if (s.type === 'object' && s.properties && !s['x-expected']) return enqueue(path, s);
    if (s.type === 'object' && s.patternProperties) {
      const value = Object.values(s.patternProperties)[0];
      if (value.type === 'object' && value.properties && !value['x-expected']) return `map of ${enqueue(`${path}.<name>`, value)}`;
    }
    if (s.type === 'array' && s.items?.type === 'object' && s.items.properties) return `list of ${enqueue(`${path}[]`, s.items)}`;
    return null;
  };
  enqueue('plan', PlanSchema);
  while (queue.length) {
    const { path, schema } = queue.shift();
    const rows = Object.entries(schema.properties).map(([key, s]) => {
      const child = path === 'plan' ? key : `${path}.${key}`;
      const type = objectLink(child, s) ?? typeOf(s, linkDefinition);
      return [code(key), type, (schema.required ?? []).includes(key) ? 'yes' : '', typeOnly(s.description) ? '' : (s.description ?? '')];
    });
    const lines = [`## ${titleOf(path)}`, ''];
    if (schema.description) lines.push(schema.description.replace(/^./, (c) => c.toUpperCase()) + '.', '');
    lines.push(table(KEY_HEADER, rows));
    sections.push(lines.join('\n'));
  }
  return sections.join('\n\n');
}

function branchesByKind(schema, tag) {
  return Object.fromEntries(schema.oneOf.map((b) => [b.properties[tag].const, b]));
}

const faultBranches = () => branchesByKind(PlanSchema.definitions.action.else, 'fault');
const probeBranches = () => branchesByKind(PlanSchema.definitions.probe, 'probe');
const COMMON_STEP_KEYS = ['at', 'fault', 'name', 'description', 'revertAfter'];
const COMMON_PROBE_KEYS = ['probe', 'name', 'description', 'timeout', 'waitFor'];

function pick(properties, keys, keep) {
  return Object.fromEntries(Object.entries(properties).filter(([k]) => keys.includes(k) === keep));
}

const schemaLink = (name) => (ELSEWHERE[name] ? `[${name}](${ELSEWHERE[name]})` : `[${name}](plan.md#${slug(`\`${name}\``)})`);

function commonKeys(branch, keys, tag) {
  return table(KEY_HEADER, keyRows(pick(branch.properties, keys, true), branch.required ?? [], schemaLink, tag));
}

function kindKeys(branch, commonKeyNames) {
  const rows = keyRows(pick(branch.properties, commonKeyNames, false), branch.required ?? [], schemaLink);
  return rows.length ? table(KEY_HEADER, rows) : '(no keys of its own)';
}

function refKeys() {
  const ref = PlanSchema.definitions.action.then;
  return table(KEY_HEADER, keyRows(ref.properties, ref.required ?? [], schemaLink));
}

// ---------------------------------------------------------------- templates

function generators() {
  const faults = faultBranches();
  const probes = probeBranches();
  const chaosKinds = ChaosSchema.oneOf.map((b) => b.properties.fault.const);
  if (chaosKinds.join() !== FAULT_KINDS.join()) throw new Error('gen-docs: chaos file kinds differ from the plan\'s fault kinds');
  return {
    'cli-commands': () => cliCommands(),
    'exit-codes': () => exitCodes(),
    'error-classes': () => errorClasses(),
    'plan-sections': () => planSections(),
    'fault-common': () => commonKeys(faults[FAULT_KINDS[0]], COMMON_STEP_KEYS, 'fault'),
    'fault-ref': () => refKeys(),
    'fault-kinds': () => FAULT_KINDS.map(code).join(', '),
    'fault-keys': (kind) => {
      if (!faults[kind]) throw new Error(`gen-docs: unknown fault kind ${kind}`);
      return kindKeys(faults[kind], COMMON_STEP_KEYS);
    },
    'probe-common': () => commonKeys(probes[PROBE_KINDS[0]], COMMON_PROBE_KEYS, 'probe'),
    'probe-kinds': () => PROBE_KINDS.map(code).join(', '),
    'probe-keys': (kind) => {
      if (!probes[kind]) throw new Error(`gen-docs: unknown probe kind ${kind}`);
      return kindKeys(probes[kind], COMMON_PROBE_KEYS);
    },
  };
}

/** Every kind a template must document once: a new fault or probe kind without prose fails the generator. */
const REQUIRED_ARGS = { 'fault-keys': () => FAULT_KINDS, 'probe-keys': () => PROBE_KINDS };

function renderTemplate(templatePath, gen) {
  const text = readFileSync(`${root}/${templatePath}`, 'utf8');
  const seen = {};
  const body = text.replace(/^<!-- gen:([a-z-]+)(?: ([^ ]+))? -->$/gm, (_, name, arg) => {
    if (!gen[name]) throw new Error(`gen-docs: ${templatePath}: unknown generator ${name}`);
    (seen[name] ??= []).push(arg);
    return gen[name](arg);
  });
  for (const [name, kinds] of Object.entries(REQUIRED_ARGS)) {
    if (!seen[name]) continue;
    const missing = kinds().filter((k) => !seen[name].includes(k));
    const twice = seen[name].filter((k, i) => seen[name].indexOf(k) !== i);
    if (missing.length || twice.length) throw new Error(`gen-docs: ${templatePath}: ${name} missing ${missing.join(', ') || '-'}, twice ${twice.join(', ') || '-'}`);
  }
  const notice = `<!-- Generated by scripts/gen-docs.mjs from ${templatePath} and the code: do not edit; edit those, then run npm run gen:docs -->`;
  return `${notice}\n${body.trimEnd()}\n`;
}

/** Every generated page as it should be now: repository-relative path → content. */
export function renderDocs() {
  const gen = generators();
  return Object.fromEntries(Object.entries(GENERATED_PAGES).map(([page, template]) => [page, renderTemplate(template, gen)]));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [page, content] of Object.entries(renderDocs())) {
    writeFileSync(`${root}/${page}`, content);
    console.error(`wrote ${page}`);
  }
}
