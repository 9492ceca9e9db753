import { findChromium } from '../../src/report/index.js';

export const CHROMIUM_MISSING = 'no Chromium on PATH (chromium, chromium-browser, google-chrome) nor CRT_CHROMIUM (apt-get install chromium)';

/**
 * In a `before`: the Chromium to use, or skips the suite saying why; CRT_REQUIRE_CHROMIUM=1 (CI)
 * turns its absence into a failure instead of a skip.
 */
export async function requireChromium(ctx: Mocha.Context): Promise<string> {
  const found = await findChromium(process.env);
  if (found) return found;
  if (process.env.CRT_REQUIRE_CHROMIUM === '1') throw new Error(`${CHROMIUM_MISSING}; CRT_REQUIRE_CHROMIUM=1 requires it`);
  console.log(`      skipped: ${CHROMIUM_MISSING}`);
  ctx.skip();
}
