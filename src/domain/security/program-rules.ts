import type { ProgramRule } from './program-rule.js';
import { FILE_PROGRAM_RULES } from './rules/file-program-rules.js';
import { SEARCH_PROGRAM_RULES } from './rules/search-program-rules.js';
import { SYSTEM_PROGRAM_RULES } from './rules/system-program-rules.js';
import { TEXT_PROGRAM_RULES } from './rules/text-program-rules.js';

/** Every program whose options have been reviewed; a program missing here runs only if listed as unreviewed. */
export const PROGRAM_RULES: ReadonlyMap<string, ProgramRule> = new Map(
  [...TEXT_PROGRAM_RULES, ...FILE_PROGRAM_RULES, ...SEARCH_PROGRAM_RULES, ...SYSTEM_PROGRAM_RULES].map((rule) => [rule.name, rule]),
);
