import { execFile } from 'node:child_process';
import { access, constants, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { writeFileAtomically } from '../core/index.js';
import { HTML_FILE } from './html.js';
import { ReporterSkipped, type Reporter, type ReportInput } from './reporter.js';

export const PDF_FILE = 'report.pdf';
/** The names a Chromium goes by on PATH, tried in order after `CRT_CHROMIUM`. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome'] as const;
export const NO_CHROMIUM = 'skipped: no Chromium (apt-get install chromium)';
const PRINT_TIMEOUT_MS = 60_000;

const run = promisify(execFile);

export interface PdfOptions {
  /** where `CRT_CHROMIUM` and `PATH` are read; the process environment by default */
  env?: NodeJS.ProcessEnv;
}

/**
 * `report.pdf`: report.html printed by a headless Chromium, so the PDF is the page a reader sees.
 * It runs after the html reporter and reads its file. Chromium's own `--print-to-pdf` is enough
 * for one file: a driver library (playwright-core, puppeteer) would add a dependency to every
 * install for no gain. Without a Chromium the reporter is skipped, and the run does not fail.
 */
/** `CRT_PDF=off` (or 0, false, no) skips the PDF even with a Chromium: it costs ~2 s per report. */
const PDF_OFF = /^(off|0|false|no)$/i;

export function pdfReporter(opts: PdfOptions = {}): Reporter {
  return {
    name: 'pdf',
    async render(input: ReportInput): Promise<string[]> {
      const env = opts.env ?? process.env;
      if (PDF_OFF.test(env.CRT_PDF?.trim() ?? '')) throw new ReporterSkipped(`skipped: turned off (CRT_PDF=${env.CRT_PDF?.trim()})`);
      const chromium = await findChromium(env);
      if (!chromium) throw new ReporterSkipped(NO_CHROMIUM);
      await printToPdf(chromium, path.join(input.dir, HTML_FILE), path.join(input.dir, PDF_FILE));
      return [PDF_FILE];
    },
  };
}

/** `CRT_CHROMIUM` (a path, or a name looked up on PATH), else the first of CHROMIUM_NAMES on PATH. */
export async function findChromium(env: NodeJS.ProcessEnv): Promise<string | null> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const lookup = async (name: string): Promise<string | null> => {
    if (name.includes('/')) return (await executable(name)) ? path.resolve(name) : null;
    for (const dir of dirs) if (await executable(path.join(dir, name))) return path.join(dir, name);
    return null;
  };
  const wanted = env.CRT_CHROMIUM?.trim();
  if (wanted) {
    const found = await lookup(wanted);
    if (!found) throw new Error(`CRT_CHROMIUM=${wanted} is not an executable file; unset it to look for ${CHROMIUM_NAMES.join(', ')} on PATH`);
    return found;
  }
  for (const name of CHROMIUM_NAMES) {
    const found = await lookup(name);
    if (found) return found;
  }
  return null;
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Prints `htmlFile` to `pdfFile`; a fresh profile directory each time, so parallel runs never share one.
 * Chromium prints into that directory, and the checked PDF is then written atomically: a killed
 * Chromium or a full disk never leaves a torn report.pdf (nor removes the previous one).
 */
async function printToPdf(chromium: string, htmlFile: string, pdfFile: string): Promise<void> {
  try {
    await access(htmlFile);
  } catch (err) {
    throw new Error(`${HTML_FILE} was not written, so there is nothing to print (see the html reporter's status)`, { cause: err });
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'crt-chromium-'));
  const printed = path.join(profile, 'report.pdf');
  try {
    const args = [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-pdf-header-footer',
      `--user-data-dir=${profile}`, `--print-to-pdf=${printed}`, pathToFileURL(path.resolve(htmlFile)).href,
    ];
    try {
      await run(chromium, args, { timeout: PRINT_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${chromium} could not print ${HTML_FILE}: ${lastLines(e.stderr ?? '') || e.message}`, { cause: err });
    }
    const pdf = await readFile(printed).catch(() => Buffer.alloc(0));
    if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error(`${chromium} did not write a PDF to ${pdfFile}`);
    await writeFileAtomically(pdfFile, pdf);
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
