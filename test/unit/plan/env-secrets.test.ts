import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { PlanError, formatProblem } from '../../../src/core/errors.js';
import { loadPlan, type Plan } from '../../../src/plan/index.js';
import { tempDir } from '../../helpers/tmp.js';

/** ${VAR} in shell commands and env:, and the secret values a plan's substitution knows. */
describe('plan variables: commands, their env and secrets', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());

  const write = async (steps: string, extra = '') => {
    const file = path.join(tmp.dir, 'plan.yaml');
    await writeFile(file, `apiVersion: crt/v1
metadata: {name: vars}
targets:
  srv: {url: "http://\${URL_USER:-u}:\${URL_PASS:-p}@127.0.0.1:1", headers: {authorization: "Bearer \${TOKEN}", x-run: "\${RUN_TAG:-local}"}}
layers:
  logical:
    - id: LOG-01
      title: t
      objective: o
      load: {target: srv, connections: 1, duration: 1s}
      trigger:
${steps}${extra}`);
    return file;
  };
  const problems = (file: string, env: Record<string, string>) => {
    try {
      loadPlan(file, env);
    } catch (err) {
      if (err instanceof PlanError) return err.problems.map((p) => formatProblem(p).replace(`${tmp.dir}/`, ''));
      throw err;
    }
    throw new Error('the plan loaded');
  };
  // every step of these plans has env: (rollout or exec)
  const params = (plan: Plan, i = 0) => plan.cases[0]!.trigger[i]!.params as { env?: Record<string, string> };
  const env = { TOKEN: 'tok-123456', NAME: 'web; touch pwned', DB_PW: 'db-pw-7890', RUN_TAG: 'nightly-42' };

  it('passes a command\'s variables to the shell as quoted references, and keeps env: references for the command to expand', async () => {
    const file = await write(`        - {at: 0s, fault: exec, command: "echo \${NAME} '\${NAME}'", revertCommand: "echo \${NAME:-none}", env: {DB_PASSWORD: "\${DB_PW}", MODE: fast}}\n`);
    const { plan } = loadPlan(file, env);
    expect(params(plan)).to.deep.include({ command: `echo "\${NAME}" ''"\${NAME}"''`, revertCommand: 'echo "${NAME:-none}"', env: { DB_PASSWORD: '${DB_PW}', MODE: 'fast' } });
    expect(JSON.stringify(plan.resolved)).to.not.include('web; touch').and.not.include('db-pw-7890');
  });

  it('lists as secrets the values substituted into headers, from secret-looking variables or under secret-looking keys, and no default', async () => {
    const file = await write(`        - {at: 0s, fault: exec, command: "true", env: {DB_PASSWORD: "\${DB_PW}"}}\n`);
    const { plan } = loadPlan(file, { ...env, URL_PASS: 'url-pass-1' });
    expect([...plan.secrets].sort()).to.deep.equal(['db-pw-7890', 'nightly-42', 'tok-123456']);
    // the URL password is found by the run from the URL itself (src/cli/commands/run-secrets.ts): any URL, literal or not
    expect(plan.targets.srv!.headers).to.deep.equal({ authorization: 'Bearer tok-123456', 'x-run': 'nightly-42' });
  });

  it('refuses, located and with a hint, what cannot be passed safely', async () => {
    const file = await write(
      [
        '        - {at: 0s, fault: exec, command: "echo `cat ${NAME}`"}',
        '        - {at: 0s, fault: exec, command: "${NAME}"}',
        '        - {at: 0s, fault: exec, command: "echo ${MODE}", env: {MODE: "x"}}',
        '        - {at: 0s, fault: exec, command: "echo ${CRT_RUN_ID:-x}"}',
        '        - {at: 0s, fault: exec, command: "true", env: {API_TOKEN: literal-token}}',
        '',
      ].join('\n'),
    );
    expect(problems(file, { ...env, MODE: 'm' })).to.deep.equal([
      'plan.yaml:12:42 layers.logical[0].trigger[0].command: ${NAME} inside backquotes cannot be passed safely\n  hint: write $(…) instead of `…`',
      'plan.yaml:13:42 layers.logical[0].trigger[1].command: the whole command comes from ${NAME}: crt passes a variable as one argument, never as shell text\n  hint: to run the variable\'s value as a command, say so: sh -c "${NAME}"',
      'plan.yaml:14:42 layers.logical[0].trigger[2].command: ${MODE} is also set by this step\'s env: for the command: the shell would read that value, not the one crt checked\n  hint: use another variable name, or write $MODE (no braces) to read the value the command gets',
      'plan.yaml:15:42 layers.logical[0].trigger[3].command: ${CRT_RUN_ID} is also set by crt for the command: the shell would read that value, not the one crt checked\n  hint: use another variable name, or write $CRT_RUN_ID (no braces) to read the value the command gets',
      'plan.yaml:16:67 layers.logical[0].trigger[4].env.API_TOKEN: API_TOKEN looks like a secret: written in the plan, it would be recorded in the run folder\n  hint: export it and write API_TOKEN: ${API_TOKEN}',
    ]);
  });

  it('still reports a command\'s variable that is not set, at validation', async () => {
    const file = await write(`        - {at: 0s, fault: exec, command: "echo \${NOPE}"}\n`);
    expect(problems(file, env)).to.deep.equal([
      'plan.yaml:12:42 layers.logical[0].trigger[0].command: environment variable NOPE is not set\n  hint: export NOPE=… before running crt, or write ${NOPE:-default}',
    ]);
  });

  it('gives a rollout taken from a chaos file its env: values, and an exec fault its references', async () => {
    await mkdir(path.join(tmp.dir, 'chaos'));
    await writeFile(path.join(tmp.dir, 'chaos', 'roll.yaml'), 'fault: rollout\ndeployment: web\naction: env\nenv: {A: "1"}\n');
    await writeFile(path.join(tmp.dir, 'chaos', 'run.yaml'), 'fault: exec\ncommand: "true"\n');
    const file = await write(`        - {at: 0s, ref: chaos/roll.yaml, env: {A: "\${DB_PW}"}}\n        - {at: 500ms, ref: chaos/run.yaml, env: {B: "\${DB_PW}"}}\n`, 'cluster: {local: {nodes: 1}}\n');
    const { plan } = loadPlan(file, env);
    expect(params(plan, 0).env).to.deep.equal({ A: 'db-pw-7890' });
    expect(params(plan, 1).env).to.deep.equal({ B: '${DB_PW}' });
  });
});
