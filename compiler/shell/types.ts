// What the shell analysis reports about a step body: its own syntax error, or the commands it runs and the
// variables it reads and sets. Results are frozen and shared by identical bodies.

/** A syntax error, positioned in the body: 1-based line, column in UTF-16 units. */
export interface ShellError {
  readonly message: string;
  readonly line: number;
  readonly col: number;
}

/** A command or variable name and where it occurs in the body (1-based line and column). */
export interface ShellName {
  readonly name: string;
  readonly line: number;
  readonly col: number;
}

/**
 * One body's analysis. A body with an error has no commands, refs or assigns. `refs` lists the variables the
 * body reads but never assigns itself; `assigns` is sorted.
 */
export interface ShellInfo {
  readonly error: ShellError | null;
  readonly commands: readonly ShellName[];
  readonly refs: readonly ShellName[];
  readonly assigns: readonly string[];
}

/** `engine` and `batchBytes` exist for tests and measurements; the defaults are what the compiler uses. */
export interface ShellOptions {
  readonly engine?: 'auto' | 'wasm' | 'public';
  readonly batchBytes?: number;
}
