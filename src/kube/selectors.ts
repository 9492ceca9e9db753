/**
 * Label and field selectors, parsed and matched the way apimachinery does (`labels/selector.go`,
 * `fields/selector.go`, `metav1.LabelSelectorAsSelector`), with the same error wording so that kubectl and
 * client-node users see the messages they know.
 */
import { ApiError } from './api-status.js';

export type SelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  /** Sorted and unique, as apimachinery keeps them. */
  values: string[];
}

/** A parsed label selector. `matchesNothing` is the selector of a missing (`null`) metav1.LabelSelector. */
export interface LabelSelector {
  requirements: Requirement[];
  matchesNothing: boolean;
}

/** `metav1.LabelSelector` as stored in Deployments, ReplicaSets and friends. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

// ---- label key and value syntax (k8s.io/apimachinery/pkg/util/validation) ----

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFmt = `(${qualifiedNameFmt})?`;
const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const whole = (fmt: string): RegExp => new RegExp(`^${fmt}$`);
const qualifiedNameMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** apimachinery's RegexError: the examples list keeps its doubled spaces, as the real messages do. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

export const maxLenError = (n: number): string => `must be no more than ${n} characters`;

export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!whole(dns1123SubdomainFmt).test(value)) {
    errs.push(regexError('a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character', dns1123SubdomainFmt, 'example.com'));
  }
  return errs;
}

/** Label keys and annotation keys: an optional DNS subdomain prefix and a name part. */
export function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) {
    return [`a qualified name ${regexError(qualifiedNameMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const errs: string[] = [];
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!whole(qualifiedNameFmt).test(name)) errs.push(`name part ${regexError(qualifiedNameMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!whole(labelValueFmt).test(value)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", labelValueFmt, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

// ---- label selector lexer and parser ----

type Tok = 'end' | 'id' | ')' | ',' | '!' | '==' | '=' | '>' | 'in' | '<' | '!=' | 'notin' | '(' | 'error';
interface Item { tok: Tok; lit: string }

const symbolTokens: Record<string, Tok> = { ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', '<': '<', '!=': '!=', '(': '(' };
const isSpecial = (c: string): boolean => '=!(),><'.includes(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** The apimachinery lexer: identifiers run until whitespace or a symbol; symbols are matched greedily. */
function lex(text: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && isSpace(text[pos]!)) pos++;
    if (pos >= text.length) { items.push({ tok: 'end', lit: '' }); return items; }
    const start = pos;
    if (isSpecial(text[pos]!)) {
      let best: Item | undefined;
      while (pos < text.length && isSpecial(text[pos]!)) {
        const tok = symbolTokens[text.slice(start, pos + 1)];
        if (tok) best = { tok, lit: text.slice(start, pos + 1) };
        else if (best) break;
        pos++;
      }
      pos = start + (best?.lit.length ?? pos - start);
      items.push(best ?? { tok: 'error', lit: `error expected: keyword found '${text.slice(start, pos)}'` });
      continue;
    }
    while (pos < text.length && !isSpecial(text[pos]!) && !isSpace(text[pos]!)) pos++;
    const lit = text.slice(start, pos);
    items.push({ tok: lit === 'in' ? 'in' : lit === 'notin' ? 'notin' : 'id', lit });
  }
}

class Parser {
  private position = 0;
  constructor(private readonly items: Item[]) {}

  /** In the values context `in` and `notin` are plain identifiers (`x in (in)`). */
  peek(values = true): Item {
    const item = this.items[this.position]!;
    return values && (item.tok === 'in' || item.tok === 'notin') ? { tok: 'id', lit: item.lit } : item;
  }

  next(values = true): Item {
    const item = this.peek(values);
    this.position++;
    return item;
  }
}

const binaryOperators = 'in, notin, =, ==, !=, gt, lt';
const fail = (msg: string): never => { throw new Error(msg); };

function parseKeyAndOperator(p: Parser): { key: string; operator: SelectorOperator | undefined } {
  let item = p.next();
  let operator: SelectorOperator | undefined;
  if (item.tok === '!') { operator = '!'; item = p.next(); }
  if (item.tok !== 'id') fail(`found '${item.lit}', expected: identifier`);
  const keyErrs = qualifiedNameErrors(item.lit);
  // apimachinery validates the key against a nil field path, hence the odd `<nil>` in its message.
  if (keyErrs.length) fail(`<nil>: Invalid value: ${JSON.stringify(item.lit)}: ${keyErrs.join('; ')}`);
  const after = p.peek().tok;
  if ((after === 'end' || after === ',') && operator !== '!') operator = 'exists';
  return { key: item.lit, operator };
}

function parseOperator(p: Parser): SelectorOperator {
  const item = p.next(false);
  const ops: Partial<Record<Tok, SelectorOperator>> = { 'in': 'in', '=': '=', '==': '==', '>': 'gt', '<': 'lt', 'notin': 'notin', '!=': '!=' };
  return ops[item.tok] ?? fail(`found '${item.lit}', expected: ${binaryOperators}`);
}

function parseValueSet(p: Parser): string[] {
  const open = p.next();
  if (open.tok !== '(') fail(`found '${open.lit}', expected: '('`);
  const first = p.peek();
  if (first.tok === ')') { p.next(); return ['']; }
  if (first.tok !== 'id' && first.tok !== ',') fail(`found '${first.lit}', expected: ',', ')' or identifier`);
  const values = new Set<string>();
  for (;;) {
    const item = p.next();
    if (item.tok === 'id') {
      values.add(item.lit);
      const after = p.peek();
      if (after.tok === ')') { p.next(); return [...values]; }
      if (after.tok !== ',') fail(`found '${after.lit}', expected: ',' or ')'`);
    } else if (item.tok === ',') {
      // `(,a)`, `(a,,b)` and `(a,)` all carry an empty value, as in apimachinery.
      if (values.size === 0) values.add('');
      const after = p.peek();
      if (after.tok === ')') { p.next(); values.add(''); return [...values]; }
      if (after.tok === ',') { p.next(); values.add(''); }
    } else {
      fail(`found '${item.lit}', expected: ',', or identifier`);
    }
  }
}

function parseExactValue(p: Parser): string[] {
  const item = p.peek();
  if (item.tok === 'end' || item.tok === ',') return [''];
  p.next();
  if (item.tok === 'id') return [item.lit];
  return fail(`found '${item.lit}', expected: identifier`);
}

function parseRequirement(p: Parser): Requirement {
  const { key, operator: unary } = parseKeyAndOperator(p);
  if (unary) return newRequirement(key, unary, []);
  const operator = parseOperator(p);
  const values = operator === 'in' || operator === 'notin' ? parseValueSet(p) : parseExactValue(p);
  return newRequirement(key, operator, values);
}

/** apimachinery's NewRequirement checks, with its field paths (`values[0][v]`) and aggregate wording. */
function newRequirement(key: string, operator: SelectorOperator, rawValues: string[]): Requirement {
  const values = [...new Set(rawValues)].sort();
  const errs: string[] = [];
  const keyErrs = qualifiedNameErrors(key);
  if (keyErrs.length) errs.push(`key: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
  const list = `[]string{${rawValues.map((v) => JSON.stringify(v)).join(', ')}}`;
  if ((operator === 'in' || operator === 'notin') && values.length === 0) errs.push(`values: Invalid value: ${list}: for 'in', 'notin' operators, values set can't be empty`);
  if ((operator === '=' || operator === '==' || operator === '!=') && values.length !== 1) errs.push(`values: Invalid value: ${list}: exact-match compatibility requires one single value`);
  if ((operator === 'exists' || operator === '!') && values.length !== 0) errs.push(`values: Invalid value: ${list}: values set must be empty for exists and does not exist`);
  rawValues.forEach((v, i) => {
    if ((operator === 'gt' || operator === 'lt') && !/^[-+]?\d+$/.test(v)) errs.push(`values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length) errs.push(`values[${i}][${v}]: Invalid value: ${JSON.stringify(v)}: ${valueErrs.join('; ')}`);
  });
  if (errs.length) fail(aggregate(errs));
  return { key, operator, values };
}

/** utilerrors.NewAggregate(...).Error(): one message alone, several deduplicated inside brackets. */
export function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

const byKey = (a: Requirement, b: Requirement): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Parses `a=b,c in (x,y),!d`; throws 400 BadRequest worded like apimachinery. Empty text selects everything. */
export function parseLabelSelector(text: string): LabelSelector {
  const p = new Parser(lex(text));
  const requirements: Requirement[] = [];
  for (;;) {
    const item = p.peek();
    if (item.tok === 'end') break;
    if (item.tok !== 'id' && item.tok !== '!') throw badRequest(`found '${item.lit}', expected: !, identifier, or 'end of string'`);
    try {
      requirements.push(parseRequirement(p));
    } catch (err) {
      throw badRequest(`unable to parse requirement: ${(err as Error).message}`);
    }
    const sep = p.next();
    if (sep.tok === 'end') break;
    if (sep.tok !== ',') throw badRequest(`found '${sep.lit}', expected: ',' or 'end of string'`);
    const following = p.peek();
    if (following.tok !== 'id' && following.tok !== '!') throw badRequest(`found '${following.lit}', expected: identifier after ','`);
  }
  return { requirements: requirements.sort(byKey), matchesNothing: false };
}

const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

const specOperators: Record<string, SelectorOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/** metav1.LabelSelectorAsSelector: null selects nothing, `{}` everything. Throws 400 on an invalid selector. */
export function labelSelectorFromSpec(spec: LabelSelectorSpec | null | undefined): LabelSelector {
  if (spec === null || spec === undefined) return { requirements: [], matchesNothing: true };
  try {
    const requirements = Object.entries(spec.matchLabels ?? {}).map(([k, v]) => newRequirement(k, '=', [v]));
    for (const expr of spec.matchExpressions ?? []) {
      const op = specOperators[expr.operator] ?? fail(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
      requirements.push(newRequirement(expr.key, op, expr.values ?? []));
    }
    return { requirements: requirements.sort(byKey), matchesNothing: false };
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

/** A Service's `spec.selector`: a Service without one manages no endpoints, so it selects nothing. */
export function labelSelectorFromMap(map: Record<string, string> | null | undefined): LabelSelector {
  const entries = Object.entries(map ?? {});
  if (entries.length === 0) return { requirements: [], matchesNothing: true };
  const requirements = entries.map(([key, v]): Requirement => ({ key, operator: '=', values: [v] }));
  return { requirements: requirements.sort(byKey), matchesNothing: false };
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key] ?? '';
  switch (r.operator) {
    case 'in': case '=': case '==': return has && r.values.includes(value);
    case 'notin': case '!=': return !has || !r.values.includes(value);
    case 'exists': return has;
    case '!': return !has;
    case 'gt': case 'lt': {
      if (!has || !/^[-+]?\d+$/.test(value)) return false;
      const [lhs, rhs] = [Number(value), Number(r.values[0])];
      return r.operator === 'gt' ? lhs > rhs : lhs < rhs;
    }
  }
}

export function matchesLabels(sel: LabelSelector, labels?: Record<string, string> | null): boolean {
  if (sel.matchesNothing) return false;
  return sel.requirements.every((r) => requirementMatches(r, labels ?? {}));
}

function requirementString(r: Requirement): string {
  const ops: Record<SelectorOperator, string> = { '=': '=', '==': '==', '!=': '!=', 'in': ' in ', 'notin': ' notin ', 'gt': '>', 'lt': '<', 'exists': '', '!': '' };
  const head = `${r.operator === '!' ? '!' : ''}${r.key}`;
  if (r.operator === 'exists' || r.operator === '!') return head;
  const values = r.values.join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${head}${ops[r.operator]}(${values})` : `${head}${ops[r.operator]}${values}`;
}

const isParsed = (s: unknown): s is LabelSelector => typeof s === 'object' && s !== null && Array.isArray((s as LabelSelector).requirements);

/** metav1.FormatLabelSelector: `app=web,tier in (a,b)`, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(specOrSel: LabelSelector | LabelSelectorSpec | null | undefined): string {
  let sel: LabelSelector;
  try {
    sel = isParsed(specOrSel) ? specOrSel : labelSelectorFromSpec(specOrSel);
  } catch {
    return '<error>';
  }
  const text = labelSelectorString(sel);
  return text === '' ? '<none>' : text;
}

/** labels.Selector.String(): the requirements sorted by key, `""` for a selector without any. */
export function labelSelectorString(sel: LabelSelector): string {
  return sel.requirements.map(requirementString).join(',');
}

// ---- field selectors ----

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  resourceKey: string;
  requirements: FieldRequirement[];
}

type Getter = (obj: any) => string;

/** Go zero values: a missing string is "", a missing bool "false", a missing count "0". */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === undefined || v === null ? '' : JSON.stringify(v);
}
const at = (path: string): Getter => (obj) => text(path.split('.').reduce<any>((o, k) => o?.[k], obj));
const bool = (path: string): Getter => (obj) => String(at(path)(obj) === 'true');
const count = (path: string): Getter => (obj) => String(Number(at(path)(obj) || 0));

const meta: Record<string, Getter> = { 'metadata.name': at('metadata.name'), 'metadata.namespace': at('metadata.namespace') };

const coreEventFields: Record<string, Getter> = {
  ...Object.fromEntries(['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']
    .map((f) => [`involvedObject.${f}`, at(`involvedObject.${f}`)])),
  'reason': at('reason'),
  'reportingComponent': at('reportingController'),
  'source': (o) => text(o?.source?.component) || text(o?.reportingController),
  'type': at('type'),
};

/** events.k8s.io Events name the same fields `regarding.*` and `reportingController`; both spellings are accepted. */
const newEventFields: Record<string, Getter> = Object.fromEntries(
  ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].flatMap((f) => [
    [`regarding.${f}`, at(`regarding.${f}`)], [`involvedObject.${f}`, at(`regarding.${f}`)],
  ]).concat([
    ['reason', at('reason')], ['type', at('type')],
    ['reportingController', at('reportingController')], ['reportingComponent', at('reportingController')],
    ['source', (o: any) => text(o?.deprecatedSource?.component) || text(o?.reportingController)],
  ]),
);

const fieldsByResource: Record<string, Record<string, Getter>> = {
  'pods': {
    'spec.nodeName': at('spec.nodeName'), 'spec.restartPolicy': at('spec.restartPolicy'),
    'spec.schedulerName': at('spec.schedulerName'), 'spec.serviceAccountName': at('spec.serviceAccountName'),
    'spec.hostNetwork': bool('spec.hostNetwork'), 'status.phase': at('status.phase'),
    'status.podIP': (o) => text(o?.status?.podIPs?.[0]?.ip) || at('status.podIP')(o),
    'status.nominatedNodeName': at('status.nominatedNodeName'),
  },
  'events': coreEventFields,
  'events.k8s.io/events': newEventFields,
  'nodes': { 'spec.unschedulable': bool('spec.unschedulable') },
  'namespaces': { 'status.phase': at('status.phase') },
  'apps/replicasets': { 'status.replicas': count('status.replicas') },
  // The label says "successful" but the Job field is `succeeded`, as in the real conversion.
  'batch/jobs': { 'status.successful': count('status.succeeded') },
};

const fieldsFor = (resourceKey: string): Record<string, Getter> => ({ ...meta, ...fieldsByResource[resourceKey] });

/** Splits on commas that are not escaped with a backslash. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === ',') { terms.push(text.slice(start, i)); start = i + 1; }
  }
  terms.push(text.slice(start));
  return terms;
}

function unescapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '=' || c === ',') throw badRequest(`invalid field selector: unescaped character in value: ${c.charCodeAt(0)}`);
    if (c !== '\\') { out += c; continue; }
    const escaped = value[++i];
    if (escaped !== '\\' && escaped !== ',' && escaped !== '=') throw badRequest(`invalid field selector: invalid escape sequence: \\${escaped ?? ''}`);
    out += escaped;
  }
  return out;
}

function parseTerm(selector: string, term: string): FieldRequirement {
  const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
  if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
  const [, field = '', op, raw = ''] = m;
  return { field, operator: op === '!=' ? '!=' : '=', value: unescapeValue(raw) };
}

/**
 * Parses `spec.nodeName=n1,status.phase!=Running` for a resource. As in the real API the whole text is parsed
 * first, then each field label is checked: an unknown one is a 400 `field label not supported: <label>`.
 */
export function parseFieldSelector(text: string, resourceKey: string): FieldSelector {
  const supported = fieldsFor(resourceKey);
  const requirements = splitTerms(text).sort().filter((t) => t !== '').map((t) => parseTerm(text, t));
  const unsupported = requirements.find((r) => !Object.prototype.hasOwnProperty.call(supported, r.field));
  if (unsupported) throw badRequest(`field label not supported: ${unsupported.field}`);
  return { resourceKey, requirements };
}

export function matchesFields(sel: FieldSelector, obj: object): boolean {
  const getters = fieldsFor(sel.resourceKey);
  return sel.requirements.every((r) => {
    const value = getters[r.field]?.(obj) ?? '';
    return r.operator === '=' ? value === r.value : value !== r.value;
  });
}
