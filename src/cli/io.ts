/** The streams a command writes to: stdout for results (paths, summaries), stderr for people. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}
