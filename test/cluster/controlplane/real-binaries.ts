import { errorMessage } from '../../../src/core/index.js';
import { installKubernetes } from '../../../src/localcluster/index.js';

let found: Promise<{ bin?: string; why?: string }> | undefined;

/**
 * In a `before`: the folder with the real Kubernetes binaries (the cache `crt cluster install` fills;
 * nothing is downloaded or built here), or skips the suite saying why. CRT_REQUIRE_KUBERNETES=1 (CI)
 * turns their absence into a failure.
 */
export async function requireKubernetes(ctx: Mocha.Context): Promise<string> {
  found ??= installKubernetes({ download: false, go: null }).then((r) => ({ bin: r.bin }), (err: unknown) => ({ why: errorMessage(err) }));
  const { bin, why } = await found;
  if (bin) return bin;
  if (process.env.CRT_REQUIRE_KUBERNETES === '1') throw new Error(`the Kubernetes binaries are not installed (${why}); CRT_REQUIRE_KUBERNETES=1 requires them: run crt cluster install`);
  // mocha's skip takes no message: say it here
  process.stdout.write(`      skipped: the Kubernetes binaries are not installed: run \`node bin/crt.js cluster install\` (${why?.split('\n')[0]})\n`);
  return ctx.skip();
}

/**
 * In a `before`: the real Kubernetes binaries (as requireKubernetes) and network namespaces of crt's own
 * (root), or skips the suite saying why; CRT_REQUIRE_KUBERNETES=1 turns either absence into a failure.
 */
export async function requireRealControlPlane(ctx: Mocha.Context): Promise<string> {
  const bin = await requireKubernetes(ctx);
  const { netnsSupport } = await import('../../../src/localcluster/netns/index.js');
  const support = await netnsSupport();
  if (support.ok) return bin;
  if (process.env.CRT_REQUIRE_KUBERNETES === '1') throw new Error(`network namespaces unavailable (${support.why}); CRT_REQUIRE_KUBERNETES=1 requires them`);
  process.stdout.write(`      skipped: ${support.why}\n`);
  return ctx.skip();
}

/** Live (not zombie) processes among `pids`, read from /proc. */
export async function liveProcesses(pids: readonly number[]): Promise<number[]> {
  const { readFile } = await import('node:fs/promises');
  const live: number[] = [];
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state !== 'Z' && state !== 'X') live.push(pid);
    } catch {
      // gone
    }
  }
  return live;
}
