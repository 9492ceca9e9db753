import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { silentLogger, systemClock } from '../../../src/core/index.js';
import { FaultError, faultDefinition, type FaultContext } from '../../../src/faults/index.js';
import { loadPlan, type Plan } from '../../../src/plan/index.js';
import { runProbe } from '../../../src/probes/index.js';
import { tempDir } from '../../helpers/tmp.js';

/** A value that would run three commands if it were spliced into shell text. */
const HOSTILE = 'web; touch pwned-semicolon; $(touch pwned-subst) `touch pwned-backquote` "q" \'s\' *';

/**
 * `${VAR}` in command:, revertCommand: and a command probe reaches the shell as a quoted reference to
 * crt's environment: the real value arrives as one argument, and nothing in it runs.
 */
describe('exec faults and command probes: environment values are data, never shell text', function () {
  this.timeout(20_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const saved = { NAME: process.env.NAME, DB_PW: process.env.DB_PW };
  beforeEach(async () => {
    tmp = await tempDir();
    process.env.NAME = HOSTILE;
    process.env.DB_PW = 'db-pw-SECRET-1';
  });
  afterEach(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await tmp.remove();
  });

  const planFile = () => path.join(tmp.dir, 'plan.yaml');
  /** a literal value under a name that does not look secret: the journal must not hold it either */
  const DSN = 'postgres://app:literal-SECRET-2@db:5432/app';
  const load = async (dsn = DSN): Promise<Plan> => {
    const file = path.join(tmp.dir, 'plan.yaml');
    await writeFile(file, `apiVersion: crt/v1
metadata: {name: inject}
layers:
  logical:
    - id: LOG-01
      title: t
      objective: o
      conditions:
        - {probe: command, name: check, command: "printf '%s' \${NAME} > probe.txt; test -n \\"$SECRET\\"", env: {SECRET: "\${DB_PW}"}}
      trigger:
        - {at: 0s, fault: exec, name: inject, command: "printf '%s' \${NAME} > applied.txt; printf '%s' \\"$DB_PASSWORD\\" > env.txt", revertCommand: "printf '%s' '\${NAME}' > reverted.txt; printf '%s' \\"$DSN\\" > dsn.txt", env: {DB_PASSWORD: "\${DB_PW}", DSN: "${dsn}"}}
`);
    return loadPlan(file, process.env).plan;
  };
  const ctx = (more: Partial<FaultContext> = {}): FaultContext => ({ runId: 'r1', caseId: 'LOG-01', step: 'inject', clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: tmp.dir, ...more });
  const read = (name: string) => readFile(path.join(tmp.dir, name), 'utf8');
  const pwned = async () => (await readdir(tmp.dir)).filter((f) => f.startsWith('pwned'));

  it('runs the exec fault with the real value as one argument, and nothing injected runs', async () => {
    const action = (await load()).cases[0]!.trigger[0]!;
    const planned = await faultDefinition('exec')!.create(action).plan(ctx());
    await planned.apply();
    expect(await read('applied.txt')).to.equal(HOSTILE);
    expect(await read('env.txt')).to.equal('db-pw-SECRET-1');
    expect(await pwned()).to.deep.equal([]);
  });

  it('journals the revert with names, not values, and reverts with the values of the step in memory and of the environment', async () => {
    const action = (await load()).cases[0]!.trigger[0]!;
    const planned = await faultDefinition('exec')!.create(action).plan(ctx({ planFile: planFile() }));
    const record = JSON.parse(JSON.stringify(planned.revert)) as Record<string, unknown>;
    expect(JSON.stringify(record)).to.not.include('db-pw-SECRET-1').and.not.include('literal-SECRET-2').and.not.include('pwned');
    expect(record).to.deep.include({ needs: ['NAME', 'DB_PW'], envNames: ['DB_PASSWORD', 'DSN'], planFile: planFile() });
    expect(record).to.not.have.property('env');
    await faultDefinition('exec')!.revert(record as never, ctx({ action }));
    expect(await read('reverted.txt')).to.equal(HOSTILE);
    expect(await read('dsn.txt')).to.equal(DSN);
    expect(await pwned()).to.deep.equal([]);
  });

  it('after a crash, reads the env: values again from the plan file the journal names', async () => {
    const action = (await load()).cases[0]!.trigger[0]!;
    const record = JSON.parse(JSON.stringify((await faultDefinition('exec')!.create(action).plan(ctx({ planFile: planFile() }))).revert)) as never;
    await faultDefinition('exec')!.revert(record, ctx());
    expect(await read('dsn.txt')).to.equal(DSN);
  });

  it('refuses to revert from a plan whose env: changed since the fault, naming the variables, and runs nothing', async () => {
    const action = (await load()).cases[0]!.trigger[0]!;
    const record = JSON.parse(JSON.stringify((await faultDefinition('exec')!.create(action).plan(ctx({ planFile: planFile() }))).revert)) as never;
    await load('postgres://app:other@db2:5432/app');
    const err = await faultDefinition('exec')!.revert(record, ctx()).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.equal(
      `revert \`printf '%s' ''"\${NAME}"'' > reverted.txt; printf '%s' "$DSN" > dsn.txt\` needs the values of its env: DB_PASSWORD, DSN, which the journal does not keep (names only): `
      + `${planFile()}: its revertCommand or env: changed since the fault; run crt revert --plan <the run's plan, as it was>`,
    );
    expect(await readdir(tmp.dir)).to.not.include('reverted.txt');
  });

  it('refuses to revert when a variable it needs is gone, naming it, and runs nothing', async () => {
    const action = (await load()).cases[0]!.trigger[0]!;
    const record = (await faultDefinition('exec')!.create(action).plan(ctx())).revert!;
    delete process.env.DB_PW;
    delete process.env.NAME;
    const err = await faultDefinition('exec')!.revert(record, ctx({ action })).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(FaultError);
    expect((err as Error).message).to.equal(
      `revert \`printf '%s' ''"\${NAME}"'' > reverted.txt; printf '%s' "$DSN" > dsn.txt\` needs NAME, DB_PW from the environment, which are not set: export them and run crt revert again`,
    );
    expect(await readdir(tmp.dir)).to.not.include('reverted.txt');
  });

  it('runs a command probe with the real value as one argument, and nothing injected runs', async () => {
    const probe = (await load()).cases[0]!.conditions[0]!;
    const r = await runProbe(probe, { clock: systemClock, log: silentLogger, signal: new AbortController().signal, planDir: tmp.dir, targets: { resolve: () => Promise.reject(new Error('no targets')) } });
    expect(r.ok, r.detail).to.equal(true);
    expect(await read('probe.txt')).to.equal(HOSTILE);
    expect(await pwned()).to.deep.equal([]);
  });
});
