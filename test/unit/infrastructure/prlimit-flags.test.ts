import { noRlimits, rlimitFlags, type RlimitSupport } from '../../../src/infrastructure/execution/prlimit.js';

const report = { max_memory: 'enforced', max_processes: 'enforced', max_cpu: 'not enforced' };
const both: RlimitSupport = { prlimit: '/usr/bin/prlimit', memory: true, processes: true, hard: { memory: Number.POSITIVE_INFINITY, processes: 1000 }, report };

describe('rlimitFlags', () => {
  it.each([
    ['no limits', undefined, []],
    ['empty limits', {}, []],
    ['memory and processes', { maxMemoryBytes: 1048576, maxProcesses: 50 }, ['--as=1048576', '--nproc=50']],
    ['fractional bytes', { maxMemoryBytes: 1048576.7 }, ['--as=1048576']],
    ['processes at the hard limit (already holds; raising would fail)', { maxProcesses: 1000 }, []],
    ['processes above the hard limit', { maxProcesses: 5000 }, []],
    ['cpu only (no rlimit for a share)', { maxCpus: 0.5 }, []],
  ])('%s', (_name, limits, expected) => {
    expect(rlimitFlags(both, limits)).toEqual(expected);
  });

  it('limits this machine does not enforce - left off', () => {
    expect(rlimitFlags({ ...both, processes: false }, { maxMemoryBytes: 1048576, maxProcesses: 50 })).toEqual(['--as=1048576']);
    expect(rlimitFlags({ ...both, memory: false }, { maxMemoryBytes: 1048576, maxProcesses: 50 })).toEqual(['--nproc=50']);
  });

  it('no prlimit - no flags, and the report says why', () => {
    const none = noRlimits('prlimit (util-linux) not found');
    expect(rlimitFlags(none, { maxMemoryBytes: 1048576, maxProcesses: 50 })).toEqual([]);
    expect(none.report.max_memory).toBe('not enforced: prlimit (util-linux) not found');
  });
});
