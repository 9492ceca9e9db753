import { errorMessage, type Logger } from '../core/index.js';
import type { ReporterStatus } from '../results/index.js';
import { ReporterSkipped, type ReportInput, type Reporter } from './reporter.js';

/**
 * The one wrapper every reporter call goes through: each reporter runs isolated, a failure is
 * recorded (and logged) and the others still write their files.
 */
export async function renderAll(input: ReportInput, reporters: Readonly<Record<string, () => Reporter>>, log: Logger): Promise<ReporterStatus[]> {
  const out: ReporterStatus[] = [];
  for (const [name, create] of Object.entries(reporters)) {
    try {
      const files = await create().render(input);
      out.push({ name, ok: true, files });
    } catch (err) {
      if (err instanceof ReporterSkipped) {
        log.info({ reporter: name, why: err.why }, 'reporter skipped');
        out.push({ name, ok: true, files: [], skipped: err.why });
        continue;
      }
      log.error({ reporter: name, err: errorMessage(err) }, 'reporter failed');
      out.push({ name, ok: false, files: [], error: errorMessage(err) });
    }
  }
  return out;
}
