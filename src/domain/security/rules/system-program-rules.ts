import { HELP_VERSION, flag, optionalValue, pathValued, refused, valued, type ParsedArgs, type ProgramRule, type Refusal } from '../program-rule.js';

const SETS_STATE = 'changes system state (the server may run as root)';

/** date MMDDhhmm sets the clock just like -s; only +FORMAT operands read it. */
const date: ProgramRule = {
  name: 'date',
  syntax: 'getopt',
  operands: 'text',
  review: (parsed) => {
    const setter = parsed.operands.find((operand) => !operand.startsWith('+'));
    return setter === undefined
      ? undefined
      : { rule: 'operand_refused', reason: `date: the operand "${setter}" sets the system clock; only +FORMAT operands are allowed`, arg: setter };
  },
  options: [
    valued('d', 'date'), flag('', 'debug'), pathValued('f', 'file'), optionalValue('I', 'iso-8601'), flag('', 'resolution'),
    flag('R', 'rfc-email', 'rfc-822', 'rfc-2822'), valued('', 'rfc-3339'), pathValued('r', 'reference'), flag('u', 'utc', 'universal', 'uct'),
    refused(valued('s', 'set'), `sets the system clock, which ${SETS_STATE}`), ...HELP_VERSION,
  ],
};

/** net-tools hostname: any operand, -F and -b set the name. */
const hostname: ProgramRule = {
  name: 'hostname',
  syntax: 'getopt',
  operands: 'text',
  review: (parsed) => parsed.operands.length === 0
    ? undefined
    : { rule: 'operand_refused', reason: `hostname: the operand "${parsed.operands[0]}" sets the host name, which ${SETS_STATE}`, arg: parsed.operands[0] },
  options: [
    flag('a', 'alias'), flag('A', 'all-fqdns'), flag('d', 'domain'), flag('f', 'fqdn', 'long'), flag('i', 'ip-address'),
    flag('I', 'all-ip-addresses'), flag('s', 'short'), flag('y', 'yp', 'nis'), flag('h', 'help'), flag('V', 'version'),
    refused(flag('b', 'boot'), `may set the host name, which ${SETS_STATE}`),
    refused(valued('F', 'file'), `sets the host name from a file, which ${SETS_STATE}`),
  ],
};

const uname: ProgramRule = {
  name: 'uname',
  syntax: 'getopt',
  operands: 'none',
  options: [
    flag('a', 'all'), flag('s', 'kernel-name'), flag('n', 'nodename'), flag('r', 'kernel-release'), flag('v', 'kernel-version'),
    flag('m', 'machine'), flag('p', 'processor'), flag('i', 'hardware-platform'), flag('o', 'operating-system'), ...HELP_VERSION,
  ],
};

const uptime: ProgramRule = {
  name: 'uptime',
  syntax: 'getopt',
  operands: 'none',
  options: [flag('p', 'pretty'), flag('s', 'since'), flag('h', 'help'), flag('V', 'version')],
};

const whoami: ProgramRule = { name: 'whoami', syntax: 'getopt', operands: 'none', options: HELP_VERSION };
const pwd: ProgramRule = { name: 'pwd', syntax: 'getopt', operands: 'none', options: [flag('L'), flag('P'), ...HELP_VERSION] };
const sleep: ProgramRule = { name: 'sleep', syntax: 'getopt', operands: 'text', options: HELP_VERSION };
/** GNU echo and true/false treat no argument as an option worth reviewing: everything is text. */
const echo: ProgramRule = { name: 'echo', syntax: 'none', operands: 'text', options: [] };
const trueRule: ProgramRule = { name: 'true', syntax: 'none', operands: 'text', options: [] };
const falseRule: ProgramRule = { name: 'false', syntax: 'none', operands: 'text', options: [] };

/** procps BSD letters that only select or format; `e` shows each process's environment. */
const BSD_SAFE = new Set('arTxfjlsuvXHmcnSwhLVZ');
const BSD_VALUED = new Set('pqtUkoOg');
const PID_LIST = /^[\d,]+$/;

function reviewBsdOptions(parsed: ParsedArgs): Refusal | undefined {
  for (const word of parsed.operands) {
    if (PID_LIST.test(word)) continue;
    for (const letter of word) {
      if (BSD_SAFE.has(letter)) continue;
      const reason = letter === 'e'
        ? `BSD option e in "${word}" shows the environment of every process (secrets included)`
        : BSD_VALUED.has(letter)
          ? `BSD option ${letter} in "${word}" takes a value; use the dash form (-${letter === 'k' ? '-sort' : letter})`
          : `BSD option ${letter} in "${word}" is not one the policy has reviewed for ps`;
      return { rule: letter === 'e' ? 'option_refused' : 'option_unknown', reason: `ps: ${reason}`, arg: word };
    }
  }
  return undefined;
}

/**
 * procps ps: dash options parse like getopt but long names must be whole; words without a dash are
 * BSD option clusters (or a PID list), reviewed letter by letter.
 */
const ps: ProgramRule = {
  name: 'ps',
  syntax: 'exact-long',
  operands: 'text',
  review: reviewBsdOptions,
  options: [
    flag('A'), flag('e'), flag('a'), flag('d'), flag('N', 'deselect'), flag('f'), flag('F'), flag('H'), flag('j'), flag('l'), flag('M'),
    flag('P'), flag('y'), flag('c'), flag('L'), flag('m'), flag('T'), flag('w'), flag('V', 'version'), flag('', 'help'),
    valued('C'), valued('G', 'Group'), valued('g', 'group'), valued('p', 'pid'), valued('', 'ppid'), valued('q', 'quick-pid'),
    valued('s', 'sid'), valued('t', 'tty'), valued('u', 'user'), valued('U', 'User'), valued('O'), valued('o', 'format'),
    flag('', 'forest'), flag('', 'context'), flag('', 'headers'), flag('', 'no-headers'), valued('', 'cols', 'columns', 'width'),
    valued('', 'rows', 'lines'), valued('', 'sort'), flag('', 'cumulative'),
  ],
};

export const SYSTEM_PROGRAM_RULES: readonly ProgramRule[] = [date, hostname, uname, uptime, whoami, pwd, sleep, echo, trueRule, falseRule, ps];
