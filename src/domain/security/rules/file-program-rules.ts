import { HELP_VERSION, REASONS, flag, hasOption, optionalValue, pathValued, refused, valued, type ProgramRule } from '../program-rule.js';

/**
 * ls -R does not follow symlinks it meets; with -L it does, and lists what lies behind them.
 * -L alone only stats link targets (their size and times, not names or contents), so it stays.
 */
const ls: ProgramRule = {
  name: 'ls',
  syntax: 'getopt',
  operands: 'read-paths',
  review: (parsed) => {
    const dereference = parsed.options.find((o) => o.rule.long.includes('dereference'));
    if (!dereference || !hasOption(parsed, 'recursive')) return undefined;
    return { rule: 'combination_refused', reason: `ls: option ${dereference.written} with -R (--recursive) ${REASONS.followsSymlinks}`, arg: dereference.arg };
  },
  options: [
    flag('a', 'all'), flag('A', 'almost-all'), flag('', 'author'), flag('b', 'escape'), valued('', 'block-size'), flag('B', 'ignore-backups'),
    flag('c'), flag('C'), optionalValue('', 'color', 'colour'), flag('d', 'directory'), flag('D', 'dired'), flag('f'),
    optionalValue('F', 'classify'), flag('', 'file-type'), valued('', 'format'), flag('', 'full-time'), flag('g'),
    flag('', 'group-directories-first'), flag('G', 'no-group'), flag('h', 'human-readable'), flag('', 'si'),
    flag('H', 'dereference-command-line'), flag('', 'dereference-command-line-symlink-to-dir'), valued('', 'hide'),
    optionalValue('', 'hyperlink'), valued('', 'indicator-style'), flag('i', 'inode'), valued('I', 'ignore'), flag('k', 'kibibytes'),
    flag('l'), flag('L', 'dereference'), flag('m'), flag('n', 'numeric-uid-gid'), flag('N', 'literal'), flag('o'), flag('p'),
    flag('q', 'hide-control-chars'), flag('', 'show-control-chars'), flag('Q', 'quote-name'), valued('', 'quoting-style'),
    flag('r', 'reverse'), flag('R', 'recursive'), flag('s', 'size'), flag('S'), valued('', 'sort'), valued('', 'time'),
    valued('', 'time-style'), flag('t'), valued('T', 'tabsize'), flag('u'), flag('U'), flag('v'), valued('w', 'width'), flag('x'),
    flag('X'), flag('Z', 'context'), flag('', 'zero'), flag('1'), ...HELP_VERSION,
  ],
};

/** Operands are resolved through symlinks by the caller, so -L reaches nothing new. */
const stat: ProgramRule = {
  name: 'stat',
  syntax: 'getopt',
  operands: 'read-paths',
  options: [
    flag('L', 'dereference'), flag('f', 'file-system'), valued('', 'cached'), valued('c', 'format'), valued('', 'printf'),
    flag('t', 'terse'), ...HELP_VERSION,
  ],
};

/** du never follows symlinks it meets unless -L; -H/-D follow operands only, which are checked. */
const du: ProgramRule = {
  name: 'du',
  syntax: 'getopt',
  operands: 'read-paths',
  options: [
    flag('0', 'null'), flag('a', 'all'), flag('', 'apparent-size'), valued('B', 'block-size'), flag('b', 'bytes'), flag('c', 'total'),
    flag('DH', 'dereference-args'), valued('d', 'max-depth'), flag('h', 'human-readable'), flag('', 'inodes'), flag('k'),
    flag('l', 'count-links'), flag('m'), flag('P', 'no-dereference'), flag('S', 'separate-dirs'), flag('', 'si'), flag('s', 'summarize'),
    valued('t', 'threshold'), optionalValue('', 'time'), valued('', 'time-style'), pathValued('X', 'exclude-from'), valued('', 'exclude'),
    flag('x', 'one-file-system'),
    refused(flag('L', 'dereference'), REASONS.followsSymlinks),
    refused(valued('', 'files0-from'), REASONS.fileList),
    ...HELP_VERSION,
  ],
};

/** df FILE reports the file system holding FILE: operands are paths. */
const df: ProgramRule = {
  name: 'df',
  syntax: 'getopt',
  operands: 'read-paths',
  options: [
    flag('a', 'all'), valued('B', 'block-size'), flag('h', 'human-readable'), flag('H', 'si'), flag('i', 'inodes'), flag('k'),
    flag('l', 'local'), flag('', 'no-sync'), optionalValue('', 'output'), flag('P', 'portability'), flag('', 'sync'), flag('', 'total'),
    valued('t', 'type'), flag('T', 'print-type'), valued('x', 'exclude-type'), flag('v'), ...HELP_VERSION,
  ],
};

export const FILE_PROGRAM_RULES: readonly ProgramRule[] = [ls, stat, du, df];
