import { spawnSync } from 'node:child_process';

let found: boolean | undefined;

/** Skips the current test, saying so, when kubectl is not on PATH (.ci/run puts crt cluster install's first on PATH). */
export function requireKubectl(ctx: Mocha.Context): void {
  found ??= !spawnSync('kubectl', ['version', '--client'], { timeout: 10_000 }).error;
  if (found) return;
  // mocha's skip takes no message: say it here
  process.stdout.write('      skipped: kubectl not found on PATH (PATH="$(node bin/crt.js cluster install):$PATH")\n');
  ctx.skip();
}
