/**
 * The vocabulary of the reviewed-program table: what each option of a program means to the policy.
 * A program is only as safe as its most dangerous option, so every option a rule does not list is
 * refused (an allowlist), and dangerous ones are listed with the reason they are refused.
 */

/** `text` values are data (a pattern, a count); `read-path` values name a file the program opens. */
export type ValueUse = 'text' | 'read-path';

export interface OptionRule {
  /** Short letters that mean this option (`'cC'` for tr's complement); '' when it has none. */
  readonly short: string;
  /** Long names without the dashes; the first one is the canonical name used in messages. */
  readonly long: readonly string[];
  readonly value: 'none' | 'required' | 'optional';
  readonly use: ValueUse;
  /** Why the option is refused, as a verb phrase ("runs another program"); undefined = allowed. */
  readonly refused?: string;
}

export interface ParsedOption {
  readonly rule: OptionRule;
  /** The option as written (`--compress-prog`, `-T`), for messages. */
  readonly written: string;
  /** The argument it came from (`-rfT/tmp`). */
  readonly arg: string;
  readonly value?: string;
  /** The argument the value came from: `arg` itself when glued or after `=`, else the next one. */
  readonly valueArg?: string;
}

export interface ParsedArgs {
  readonly options: readonly ParsedOption[];
  readonly operands: readonly string[];
}

export interface Refusal {
  /** Stable rule code, e.g. `option_refused`. */
  readonly rule: string;
  readonly reason: string;
  readonly arg?: string;
}

export type OperandUse = 'read-paths' | 'text' | 'none';

export interface ProgramRule {
  readonly name: string;
  readonly options: readonly OptionRule[];
  /**
   * `getopt`: GNU getopt_long (options anywhere before `--`, clusters, glued values, unique
   * prefixes of long names); `exact-long`: the same without prefixes (procps ps); `none`: no
   * argument is an option (echo, true).
   */
  readonly syntax: 'getopt' | 'exact-long' | 'none';
  /** Digits are flags of their own (`grep -5`, `uniq -2`). */
  readonly digitFlags?: boolean;
  /** head/tail: a first argument of this form is the obsolete count (`-5c`, `+3`) and takes no value. */
  readonly obsoleteCount?: RegExp;
  readonly operands: OperandUse;
  /** Which operands name files when that depends on the options (grep's first operand is the pattern). */
  readonly operandPaths?: (parsed: ParsedArgs) => readonly string[];
  /** Refusals the table cannot express: option combinations, operands that change system state. */
  readonly review?: (parsed: ParsedArgs) => Refusal | undefined;
  /** Arguments put in front of the caller's, so a mode that would follow symlinks cannot be chosen. */
  readonly prepend?: readonly string[];
}

/** Shared reasons, so every program words the same danger the same way. */
export const REASONS = {
  runsProgram: 'runs another program',
  fileList: 'reads a list of file names (from standard input or a file), which the policy cannot check',
  writesFile: 'writes to a file of the caller\'s choosing; use write_file instead',
  tempDir: 'writes temporary files to a directory of the caller\'s choosing',
  followsSymlinks: 'follows symbolic links while recursing, which leads out of the workspace roots',
} as const;

const option = (value: OptionRule['value'], use: ValueUse) => (short: string, ...long: string[]): OptionRule => ({ short, long, value, use });

export const flag = option('none', 'text');
export const valued = option('required', 'text');
export const optionalValue = option('optional', 'text');
export const pathValued = option('required', 'read-path');

export function refused(rule: OptionRule, reason: string): OptionRule {
  return { ...rule, refused: reason };
}

export const HELP_VERSION: readonly OptionRule[] = [flag('', 'help'), flag('', 'version')];

export function hasOption(parsed: ParsedArgs, longName: string): boolean {
  return parsed.options.some((option) => option.rule.long.includes(longName));
}

/** The canonical spelling of an option, for messages: `--output` or `-o`. */
export function canonicalName(rule: OptionRule): string {
  const long = rule.long[0];
  return long !== undefined ? `--${long}` : `-${rule.short[0] ?? '?'}`;
}
