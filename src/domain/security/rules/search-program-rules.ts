import { HELP_VERSION, REASONS, flag, hasOption, optionalValue, pathValued, refused, valued, type ProgramRule } from '../program-rule.js';

/**
 * grep -r follows only symlinks named as operands (checked by the caller) and skips those it meets;
 * -R follows every one. Without -e/-f the first operand is the pattern, not a file.
 */
const grep: ProgramRule = {
  name: 'grep',
  syntax: 'getopt',
  operands: 'read-paths',
  digitFlags: true,
  operandPaths: (parsed) => (hasOption(parsed, 'regexp') || hasOption(parsed, 'file') ? parsed.operands : parsed.operands.slice(1)),
  options: [
    flag('E', 'extended-regexp'), flag('F', 'fixed-strings', 'fixed-regexp'), flag('G', 'basic-regexp'), flag('P', 'perl-regexp'),
    valued('e', 'regexp'), pathValued('f', 'file'), flag('iy', 'ignore-case'), flag('', 'no-ignore-case'), flag('w', 'word-regexp'),
    flag('x', 'line-regexp'), flag('z', 'null-data'), flag('s', 'no-messages'), flag('v', 'invert-match'), flag('V', 'version'),
    flag('', 'help'), valued('m', 'max-count'), flag('b', 'byte-offset'), flag('n', 'line-number'), flag('', 'line-buffered'),
    flag('H', 'with-filename'), flag('h', 'no-filename'), valued('', 'label'), flag('o', 'only-matching'), flag('q', 'quiet', 'silent'),
    valued('', 'binary-files'), flag('a', 'text'), flag('I'), valued('d', 'directories'), valued('D', 'devices'), flag('r', 'recursive'),
    valued('', 'include'), valued('', 'exclude'), pathValued('', 'exclude-from'), valued('', 'exclude-dir'),
    flag('L', 'files-without-match'), flag('l', 'files-with-matches'), flag('c', 'count'), flag('T', 'initial-tab'), flag('Z', 'null'),
    valued('B', 'before-context'), valued('A', 'after-context'), valued('C', 'context'), valued('', 'group-separator'),
    flag('', 'no-group-separator'), optionalValue('', 'color', 'colour'), flag('U', 'binary'),
    refused(flag('R', 'dereference-recursive'), REASONS.followsSymlinks),
  ],
};

/**
 * diff follows symlinks inside directory operands even without -r (measured with diffutils 3.8),
 * so every diff runs with --no-dereference: links are compared as links, never read through.
 */
const diff: ProgramRule = {
  name: 'diff',
  syntax: 'getopt',
  operands: 'read-paths',
  digitFlags: true,
  prepend: ['--no-dereference'],
  options: [
    flag('', 'normal'), flag('q', 'brief'), flag('s', 'report-identical-files'), flag('c'), valued('C'), optionalValue('', 'context'),
    flag('u'), valued('U'), optionalValue('', 'unified'), flag('e', 'ed'), flag('f', 'forward-ed'), flag('n', 'rcs'),
    flag('y', 'side-by-side'), valued('W', 'width'), flag('', 'left-column'), flag('', 'suppress-common-lines'),
    flag('p', 'show-c-function'), valued('F', 'show-function-line'), valued('L', 'label'), flag('t', 'expand-tabs'),
    flag('T', 'initial-tab'), valued('', 'tabsize'), flag('', 'suppress-blank-empty'), flag('r', 'recursive'),
    flag('', 'no-dereference'), flag('N', 'new-file'), flag('P', 'unidirectional-new-file'), flag('', 'ignore-file-name-case'),
    flag('', 'no-ignore-file-name-case'), valued('x', 'exclude'), pathValued('X', 'exclude-from'), valued('S', 'starting-file'),
    pathValued('', 'from-file'), pathValued('', 'to-file'), flag('i', 'ignore-case'), flag('E', 'ignore-tab-expansion'),
    flag('Z', 'ignore-trailing-space'), flag('b', 'ignore-space-change'), flag('w', 'ignore-all-space'), flag('B', 'ignore-blank-lines'),
    valued('I', 'ignore-matching-lines'), flag('a', 'text'), flag('', 'strip-trailing-cr'), valued('D', 'ifdef'),
    valued('', 'old-group-format'), valued('', 'new-group-format'), valued('', 'unchanged-group-format'),
    valued('', 'changed-group-format'), valued('', 'line-format'), valued('', 'old-line-format'), valued('', 'new-line-format'),
    valued('', 'unchanged-line-format'), flag('d', 'minimal'), valued('', 'horizon-lines'), flag('H', 'speed-large-files'),
    flag('h'), flag('', 'inhibit-hunk-merge'), flag('', 'binary'), optionalValue('', 'color'), valued('', 'palette'),
    flag('', 'help'), flag('v', 'version'),
    refused(flag('l', 'paginate'), `${REASONS.runsProgram} (pr)`),
    refused(flag('', 'sdiff-merge-assist'), 'is an internal mode of sdiff'),
  ],
};

/** libmagic's file: -z may run decompressors, -C writes a compiled magic file, -f reads a file list. */
const file: ProgramRule = {
  name: 'file',
  syntax: 'getopt',
  operands: 'read-paths',
  options: [
    flag('', 'help'), flag('v', 'version'), flag('b', 'brief'), flag('c', 'checking-printout'), valued('e', 'exclude'),
    valued('', 'exclude-quiet'), flag('E'), valued('F', 'separator'), flag('i', 'mime'), flag('', 'apple'), flag('', 'extension'),
    flag('', 'mime-type'), flag('', 'mime-encoding'), flag('k', 'keep-going'), flag('l', 'list'), flag('L', 'dereference'),
    flag('h', 'no-dereference'), flag('n', 'no-buffer'), flag('N', 'no-pad'), flag('0', 'print0'), valued('P', 'parameter'),
    flag('r', 'raw'), flag('s', 'special-files'), flag('d', 'debug'),
    refused(valued('m', 'magic-file'), 'loads magic from files of the caller\'s choosing'),
    refused(flag('z', 'uncompress'), `${REASONS.runsProgram} (a decompressor)`),
    refused(flag('Z', 'uncompress-noreport'), `${REASONS.runsProgram} (a decompressor)`),
    refused(valued('f', 'files-from'), REASONS.fileList),
    refused(flag('C', 'compile'), 'writes a compiled magic file'),
    refused(flag('S', 'no-sandbox'), 'turns off file\'s system-call sandbox'),
    refused(flag('p', 'preserve-date'), 'changes the access times of the files it reads'),
  ],
};

export const SEARCH_PROGRAM_RULES: readonly ProgramRule[] = [grep, diff, file];
