import { ClientCapabilities, ClientInfo } from '../../../src/domain/session/client-info.js';
import { LOG_LEVELS, LogLevel, type LogLevelName } from '../../../src/domain/session/log-level.js';
import { ProtocolVersion } from '../../../src/domain/session/protocol-version.js';
import { domainErrorOf } from '../../support/builders.js';

const codeOf = (fn: () => unknown): string => domainErrorOf(fn).code;

describe('ProtocolVersion', () => {
  it.each(['2025-06-18', '2024-11-05', '2025-11-25'])('of - %s - is accepted and printed unchanged', (value) => {
    const version = ProtocolVersion.of(value);
    expect(version.value).toBe(value);
    expect(String(version)).toBe(value);
  });

  it.each(['', 'latest', '2025-6-18', '20250618', '2025-06-18 ', ' 2025-06-18', '2025-06-18T00:00', 'v2025-06-18'])(
    'of - %j - throws value.invalid',
    (value) => {
      expect(codeOf(() => ProtocolVersion.of(value))).toBe('value.invalid');
    },
  );

  it('negotiate - a supported version is requested - echoes it', () => {
    expect(ProtocolVersion.negotiate('2025-03-26', ['2025-06-18', '2025-03-26', '2024-11-05']).value).toBe('2025-03-26');
  });

  it.each(['2030-01-01', '1999-01-01', 'not-a-date'])('negotiate - unsupported %j requested - offers the newest supported', (requested) => {
    expect(ProtocolVersion.negotiate(requested, ['2025-06-18', '2025-03-26']).value).toBe('2025-06-18');
  });

  it('negotiate - nothing supported - throws value.invalid', () => {
    expect(codeOf(() => ProtocolVersion.negotiate('2025-06-18', []))).toBe('value.invalid');
  });
});

describe('ClientInfo', () => {
  it('of - name with surrounding blanks - is trimmed; title kept', () => {
    const info = ClientInfo.of({ name: '  inspector  ', version: '0.1', title: 'MCP Inspector' });
    expect(info.toJSON()).toEqual({ name: 'inspector', version: '0.1', title: 'MCP Inspector' });
  });

  it('toJSON - without a title - has no title key at all', () => {
    expect(Object.keys(ClientInfo.of({ name: 'c', version: '' }).toJSON())).toEqual(['name', 'version']);
  });

  it.each([
    ['empty name', { name: '', version: '1' }],
    ['blank name', { name: '   \t', version: '1' }],
    ['201-character name', { name: 'n'.repeat(201), version: '1' }],
    ['101-character version', { name: 'c', version: 'v'.repeat(101) }],
  ])('of - %s - throws value.invalid', (_, input) => {
    expect(codeOf(() => ClientInfo.of(input))).toBe('value.invalid');
  });

  it('of - 200-character name and 100-character version - are accepted (limits inclusive)', () => {
    const info = ClientInfo.of({ name: 'n'.repeat(200), version: 'v'.repeat(100) });
    expect(info.name).toHaveLength(200);
    expect(info.version).toHaveLength(100);
  });
});

describe('ClientCapabilities', () => {
  it('of - input mutated afterwards - keeps the declared capabilities, frozen', () => {
    const input: Record<string, unknown> = { sampling: {}, roots: { listChanged: true } };
    const caps = ClientCapabilities.of(input);

    input['elicitation'] = {};
    delete input['sampling'];

    expect(caps.has('sampling')).toBe(true);
    expect(caps.has('elicitation')).toBe(false);
    expect(Object.isFrozen(caps.value)).toBe(true);
    expect(() => {
      (caps.value as Record<string, unknown>)['x'] = 1;
    }).toThrow(TypeError);
  });

  it('has - declared as an empty object - is true; absent - is false', () => {
    const caps = ClientCapabilities.of({ roots: {} });
    expect(caps.has('roots')).toBe(true);
    expect(caps.has('sampling')).toBe(false);
  });
});

describe('LogLevel', () => {
  it('of - every MCP level - has its rank in RFC 5424 order', () => {
    expect(LOG_LEVELS.map((name) => LogLevel.of(name).rank)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it.each(['', 'warn', 'INFO', 'verbose', 'trace'])('of - %j - throws value.invalid', (name) => {
    expect(codeOf(() => LogLevel.of(name))).toBe('value.invalid');
  });

  it.each<[LogLevelName, LogLevelName, boolean]>([
    ['warning', 'error', true],
    ['warning', 'warning', true],
    ['warning', 'emergency', true],
    ['warning', 'notice', false],
    ['warning', 'debug', false],
    ['debug', 'debug', true],
    ['debug', 'emergency', true],
    ['emergency', 'alert', false],
    ['emergency', 'emergency', true],
    ['info', 'debug', false],
    ['info', 'notice', true],
  ])('admits - threshold %s, message %s - %s', (threshold, message, expected) => {
    expect(LogLevel.of(threshold).admits(message)).toBe(expected);
  });
});
