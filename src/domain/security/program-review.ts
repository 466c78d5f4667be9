import { parseArgs } from './argv-parser.js';
import { canonicalName, type ParsedArgs, type ProgramRule, type Refusal } from './program-rule.js';

/** A value the program will open as a file, as written and where it came from. */
export interface NamedPath {
  readonly arg: string;
  readonly value: string;
}

export type ReviewOutcome =
  | { readonly ok: true; readonly args: readonly string[]; readonly paths: readonly NamedPath[] }
  | { readonly ok: false; readonly refusal: Refusal };

/** Applies one program's rule to its arguments: refused options and operands, then the paths it will open. */
export function reviewArguments(rule: ProgramRule, args: readonly string[]): ReviewOutcome {
  const outcome = parseArgs(rule, args);
  if (!outcome.ok) return outcome;
  const refusal = refusalIn(rule, outcome.parsed);
  if (refusal) return { ok: false, refusal };
  return { ok: true, args: [...(rule.prepend ?? []), ...args], paths: namedPaths(rule, outcome.parsed) };
}

function refusalIn(rule: ProgramRule, parsed: ParsedArgs): Refusal | undefined {
  for (const option of parsed.options) {
    if (option.rule.refused === undefined) continue;
    const canonical = canonicalName(option.rule);
    const spelled = option.written === canonical ? canonical : `${option.written} (${canonical})`;
    return { rule: 'option_refused', reason: `${rule.name}: option ${spelled} ${option.rule.refused}`, arg: option.arg };
  }
  const reviewed = rule.review?.(parsed);
  if (reviewed) return reviewed;
  if (rule.operands === 'none' && parsed.operands.length > 0) {
    return { rule: 'operand_refused', reason: `${rule.name}: takes no operands (got "${parsed.operands[0]}")`, arg: parsed.operands[0] };
  }
  return undefined;
}

function namedPaths(rule: ProgramRule, parsed: ParsedArgs): NamedPath[] {
  const paths: NamedPath[] = [];
  for (const option of parsed.options) {
    if (option.rule.use === 'read-path' && option.value !== undefined) paths.push({ arg: option.valueArg ?? option.arg, value: option.value });
  }
  const operands = rule.operandPaths?.(parsed) ?? (rule.operands === 'read-paths' ? parsed.operands : []);
  for (const operand of operands) paths.push({ arg: operand, value: operand });
  // "-" is standard input, and "" names nothing: neither is a file to check.
  return paths.filter((named) => named.value !== '-' && named.value !== '');
}
