import { expect } from 'chai';
import { quoteShellReferences } from '../../../src/plan/shell-text.js';

describe('quoteShellReferences (${VAR} in shell commands)', () => {
  const ok = (command: string) => {
    const r = quoteShellReferences(command);
    if ('refused' in r) throw new Error(`refused: ${r.refused}`);
    return r;
  };
  const cases: Array<[string, string, string]> = [
    ['plain text', './off.sh ${HOST} now', './off.sh "${HOST}" now'],
    ['a default', 'ssh ${HOST:-db-1} reboot', 'ssh "${HOST:-db-1}" reboot'],
    ['inside double quotes (already data)', 'curl "${URL:-http://h:1}/x"', 'curl "${URL:-http://h:1}/x"'],
    ['inside single quotes (crt substituted there)', "echo 'host=${HOST}!'", `echo 'host='"\${HOST}"'!'`],
    ['inside $(…)', 'echo $(cat ${FILE})', 'echo $(cat "${FILE}")'],
    ['inside "$(…)"', 'echo "$(cat ${FILE})"', 'echo "$(cat "${FILE}")"'],
    ['after an escaped quote', 'echo \\" ${A}', 'echo \\" "${A}"'],
    ['$${ (the shell\'s own reference)', 'for i in 1 2; do echo $${i} ${A}; done', 'for i in 1 2; do echo ${i} "${A}"; done'],
    ['a comment (left alone)', "true # don't ${A}", "true # don't ${A}"],
  ];
  for (const [what, input, output] of cases) {
    it(`quotes a reference: ${what}`, () => {
      expect(ok(input).text).to.equal(output);
    });
  }

  it('lists the variables the command reads, once each', () => {
    expect(ok('cp ${A} ${B} "${A}"').names).to.deep.equal(['A', 'B']);
  });

  const refused: Array<[string, string, RegExp]> = [
    ['inside backquotes', 'echo `cat ${F}`', /inside backquotes/],
    ['inside $((…))', 'echo $((${N} + 1))', /arithmetic/],
    ['in a here-document', 'cat <<EOF\n${A}\nEOF', /here-document/],
    ['a default with a double quote', 'echo ${A:-a"b}', /default of \$\{A:-a"b\}/],
    ['a default with a $', 'echo ${A:-$HOME}', /default/],
    ['unbalanced quotes', "echo '${A}", /unbalanced/],
  ];
  for (const [what, input, message] of refused) {
    it(`refuses a reference ${what}, with a hint`, () => {
      const r = quoteShellReferences(input);
      expect(r).to.have.property('refused').that.matches(message);
      expect(r).to.have.property('hint').that.is.a('string').and.not.empty;
    });
  }
});
