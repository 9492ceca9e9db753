import { CrtError, ExitCode } from '../../core/index.js';

/** A manifest that cannot be read, parsed or applied: the plan's input is wrong, exit 2. */
export class ManifestError extends CrtError {
  readonly code = 'MANIFEST_INVALID';
  readonly exitCode = ExitCode.invalid;
}
