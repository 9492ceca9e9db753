import { spawnSync } from 'node:child_process';

let found: boolean | undefined;

/** Skips the current test, saying so, when kubectl is not on PATH (.ci/run installs it). */
export function requireKubectl(ctx: Mocha.Context): void {
  found ??= !spawnSync('kubectl', ['version', '--client'], { timeout: 10_000 }).error;
  if (found) return;
  // mocha's skip takes no message: say it here
  process.stdout.write('      skipped: kubectl not found on PATH (apt-get install kubernetes-client)\n');
  ctx.skip();
}
