import { canonicalName, type OptionRule, type ParsedArgs, type ParsedOption, type ProgramRule, type Refusal } from './program-rule.js';

export type ParseOutcome = { readonly ok: true; readonly parsed: ParsedArgs } | { readonly ok: false; readonly refusal: Refusal };

const DIGIT_FLAG: OptionRule = { short: '0123456789', long: [], value: 'none', use: 'text' };
const OBSOLETE_COUNT: OptionRule = { short: '', long: [], value: 'none', use: 'text' };

class ParseRefused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.reason);
  }
}

/**
 * Reads argv the way the program will, so an option cannot hide from the policy in another
 * spelling: GNU getopt_long takes options after operands too (it permutes), clusters (`-rf`),
 * glued values (`-T/tmp`, `-o/x`), separate values (`-o x`, `--output x`), `--name=value`, unique
 * prefixes of long names (`--compress-prog`), and stops at `--`. Anything it cannot place is refused:
 * the program would reject it too, and guessing wrong is how a value slips past.
 */
export function parseArgs(rule: ProgramRule, args: readonly string[]): ParseOutcome {
  if (rule.syntax === 'none') return { ok: true, parsed: { options: [], operands: [...args] } };
  try {
    return { ok: true, parsed: new ArgvReader(rule, args).read() };
  } catch (error) {
    if (error instanceof ParseRefused) return { ok: false, refusal: error.refusal };
    throw error;
  }
}

class ArgvReader {
  private readonly options: ParsedOption[] = [];
  private readonly operands: string[] = [];
  private index = 0;

  constructor(
    private readonly rule: ProgramRule,
    private readonly args: readonly string[],
  ) {}

  read(): ParsedArgs {
    for (; this.index < this.args.length; this.index += 1) {
      const arg = this.args[this.index] as string;
      if (arg === '--') {
        this.operands.push(...this.args.slice(this.index + 1));
        break;
      }
      if (this.index === 0 && this.rule.obsoleteCount?.test(arg)) {
        this.options.push({ rule: OBSOLETE_COUNT, written: arg, arg });
      } else if (arg.startsWith('--')) {
        this.readLong(arg);
      } else if (arg.startsWith('-') && arg.length > 1) {
        this.readShortCluster(arg);
      } else {
        this.operands.push(arg);
      }
    }
    return { options: this.options, operands: this.operands };
  }

  private readLong(arg: string): void {
    const equals = arg.indexOf('=');
    const name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
    const inline = equals < 0 ? undefined : arg.slice(equals + 1);
    const rule = this.findLong(name, arg);
    const written = `--${name}`;
    if (rule.value === 'none') {
      if (inline !== undefined) this.refuse('option_value_unexpected', `option ${written} takes no value`, arg);
      this.options.push({ rule, written, arg });
    } else if (rule.value === 'optional' || inline !== undefined) {
      this.options.push({ rule, written, arg, ...(inline === undefined ? {} : { value: inline, valueArg: arg }) });
    } else {
      const value = this.nextValue(written, arg);
      this.options.push({ rule, written, arg, value, valueArg: value });
    }
  }

  private readShortCluster(arg: string): void {
    for (let at = 1; at < arg.length; at += 1) {
      const letter = arg[at] as string;
      const rule = this.findShort(letter, arg);
      const written = `-${letter}`;
      if (rule.value === 'none') {
        this.options.push({ rule, written, arg });
        continue;
      }
      const rest = arg.slice(at + 1);
      if (rest !== '') this.options.push({ rule, written, arg, value: rest, valueArg: arg });
      else if (rule.value === 'optional') this.options.push({ rule, written, arg });
      else {
        const value = this.nextValue(written, arg);
        this.options.push({ rule, written, arg, value, valueArg: value });
      }
      return;
    }
  }

  /** A required value not glued on is the next argument, whatever it looks like (`-e -x` matches "-x"). */
  private nextValue(written: string, arg: string): string {
    this.index += 1;
    const value = this.args[this.index];
    if (value === undefined) this.refuse('option_value_missing', `option ${written} requires a value`, arg);
    return value;
  }

  private findShort(letter: string, arg: string): OptionRule {
    if (this.rule.digitFlags && letter >= '0' && letter <= '9') return DIGIT_FLAG;
    const found = this.rule.options.find((option) => option.short.includes(letter));
    if (!found) this.refuse('option_unknown', `option -${letter} is not one the policy has reviewed for ${this.rule.name}`, arg);
    return found;
  }

  /** Exact name first; otherwise a prefix that names one option only, as getopt_long decides. */
  private findLong(name: string, arg: string): OptionRule {
    const exact = this.rule.options.find((option) => option.long.includes(name));
    if (exact) return exact;
    const candidates = this.rule.syntax === 'getopt' && name !== ''
      ? [...new Set(this.rule.options.filter((option) => option.long.some((long) => long.startsWith(name))))]
      : [];
    if (candidates.length === 1) return candidates[0] as OptionRule;
    if (candidates.length > 1) {
      this.refuse('option_ambiguous', `option --${name} is ambiguous (${candidates.map(canonicalName).join(', ')})`, arg);
    }
    return this.refuse('option_unknown', `option --${name} is not one the policy has reviewed for ${this.rule.name}`, arg);
  }

  private refuse(rule: string, reason: string, arg: string): never {
    throw new ParseRefused({ rule, reason: `${this.rule.name}: ${reason}`, arg });
  }
}
