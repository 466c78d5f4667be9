import { HELP_VERSION, REASONS, flag, optionalValue, pathValued, refused, valued, type ProgramRule } from '../program-rule.js';

const cat: ProgramRule = {
  name: 'cat',
  syntax: 'getopt',
  operands: 'read-paths',
  options: [
    flag('A', 'show-all'), flag('b', 'number-nonblank'), flag('e'), flag('E', 'show-ends'), flag('n', 'number'),
    flag('s', 'squeeze-blank'), flag('t'), flag('T', 'show-tabs'), flag('u'), flag('v', 'show-nonprinting'), ...HELP_VERSION,
  ],
};

const head: ProgramRule = {
  name: 'head',
  syntax: 'getopt',
  operands: 'read-paths',
  digitFlags: true,
  // head -5c FILE: the obsolete count takes no value, so FILE stays an operand.
  obsoleteCount: /^-\d/,
  options: [
    valued('c', 'bytes'), valued('n', 'lines'), flag('q', 'quiet', 'silent'), flag('v', 'verbose'), flag('z', 'zero-terminated'),
    ...HELP_VERSION,
  ],
};

/** tail -f is allowed: it only ever reads the named files, and the command timeout ends it. */
const tail: ProgramRule = {
  name: 'tail',
  syntax: 'getopt',
  operands: 'read-paths',
  digitFlags: true,
  obsoleteCount: /^[-+]\d+[bcl]?f?$/,
  // `+5` may be read as a file name instead of a count (POSIX 2008): check it as one too.
  operandPaths: (parsed) => [...parsed.operands, ...parsed.options.filter((o) => o.written.startsWith('+')).map((o) => o.written)],
  options: [
    valued('c', 'bytes'), optionalValue('f', 'follow'), flag('F'), valued('n', 'lines'), valued('', 'max-unchanged-stats'),
    valued('', 'pid'), flag('q', 'quiet', 'silent'), flag('', 'retry'), valued('s', 'sleep-interval'), flag('v', 'verbose'),
    flag('z', 'zero-terminated'), ...HELP_VERSION,
  ],
};

const wc: ProgramRule = {
  name: 'wc',
  syntax: 'getopt',
  operands: 'read-paths',
  options: [
    flag('c', 'bytes'), flag('m', 'chars'), flag('l', 'lines'), flag('L', 'max-line-length'), flag('w', 'words'),
    valued('', 'total'), refused(valued('', 'files0-from'), REASONS.fileList), ...HELP_VERSION,
  ],
};

const sort: ProgramRule = {
  name: 'sort',
  syntax: 'getopt',
  operands: 'read-paths',
  options: [
    flag('b', 'ignore-leading-blanks'), flag('d', 'dictionary-order'), flag('f', 'ignore-case'), flag('g', 'general-numeric-sort'),
    flag('i', 'ignore-nonprinting'), flag('M', 'month-sort'), flag('h', 'human-numeric-sort'), flag('n', 'numeric-sort'),
    flag('R', 'random-sort'), pathValued('', 'random-source'), flag('r', 'reverse'), valued('', 'sort'), flag('V', 'version-sort'),
    valued('', 'batch-size'), flag('c'), flag('C'), optionalValue('', 'check'), flag('', 'debug'), valued('k', 'key'),
    flag('m', 'merge'), flag('s', 'stable'), valued('S', 'buffer-size'), valued('t', 'field-separator'), valued('', 'parallel'),
    flag('u', 'unique'), flag('z', 'zero-terminated'),
    refused(valued('', 'compress-program'), REASONS.runsProgram),
    refused(valued('', 'files0-from'), REASONS.fileList),
    refused(valued('o', 'output'), REASONS.writesFile),
    refused(valued('T', 'temporary-directory'), REASONS.tempDir),
    ...HELP_VERSION,
  ],
};

/** uniq INPUT OUTPUT writes OUTPUT: a second operand is refused. */
const uniq: ProgramRule = {
  name: 'uniq',
  syntax: 'getopt',
  operands: 'read-paths',
  digitFlags: true,
  review: (parsed) => parsed.operands.length > 1
    ? { rule: 'operand_refused', reason: `uniq: the second operand "${parsed.operands[1]}" names an output file, which it ${REASONS.writesFile}`, arg: parsed.operands[1] }
    : undefined,
  options: [
    flag('c', 'count'), flag('d', 'repeated'), flag('D'), optionalValue('', 'all-repeated'), valued('f', 'skip-fields'),
    optionalValue('', 'group'), flag('i', 'ignore-case'), valued('s', 'skip-chars'), flag('u', 'unique'), flag('z', 'zero-terminated'),
    valued('w', 'check-chars'), ...HELP_VERSION,
  ],
};

const cut: ProgramRule = {
  name: 'cut',
  syntax: 'getopt',
  operands: 'read-paths',
  options: [
    valued('b', 'bytes'), valued('c', 'characters'), valued('d', 'delimiter'), valued('f', 'fields'), flag('n'), flag('', 'complement'),
    flag('s', 'only-delimited'), valued('', 'output-delimiter'), flag('z', 'zero-terminated'), ...HELP_VERSION,
  ],
};

/** tr reads standard input only; its operands are character sets. */
const tr: ProgramRule = {
  name: 'tr',
  syntax: 'getopt',
  operands: 'text',
  options: [flag('cC', 'complement'), flag('d', 'delete'), flag('s', 'squeeze-repeats'), flag('t', 'truncate-set1'), ...HELP_VERSION],
};

/** --check reads file names out of the checksum file: a file list. */
function checksum(name: string): ProgramRule {
  return {
    name,
    syntax: 'getopt',
    operands: 'read-paths',
    options: [
      flag('b', 'binary'), flag('', 'tag'), flag('t', 'text'), flag('z', 'zero'), flag('', 'ignore-missing'), flag('', 'quiet'),
      flag('', 'status'), flag('', 'strict'), flag('w', 'warn'), refused(flag('c', 'check'), REASONS.fileList), ...HELP_VERSION,
    ],
  };
}

export const TEXT_PROGRAM_RULES: readonly ProgramRule[] = [cat, head, tail, wc, sort, uniq, cut, tr, checksum('sha256sum'), checksum('md5sum')];
