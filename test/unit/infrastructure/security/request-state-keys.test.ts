import { ApplicationError } from '../../../../src/application/application.errors.js';
import { requestStateBinding } from '../../../../src/application/ports/request-state.js';
import { RequestStateKeys } from '../../../../src/infrastructure/security/request-state-keys.js';
import { RecordingLogger } from '../../../support/builders.js';

const OLD = 'old-key-0123456789abcdef0123456789abcdef';
const NEW = 'new-key-fedcba9876543210fedcba9876543210';
const TTL = 600;
const CALL_ECHO = requestStateBinding({ method: 'tools/call', name: 'echo', principal: 'anonymous' });
const PAYLOAD = { round: 2, answers: { confirm: { action: 'accept' } }, roots: ['/srv/repo'] };

function sealer(keys: readonly string[] = [OLD], logger = new RecordingLogger()): RequestStateKeys {
  return new RequestStateKeys({ keys, ttlSeconds: TTL }, logger);
}

/** The refusal `open` threw, or a failure naming what it did instead. */
async function refusal(promise: Promise<unknown>): Promise<ApplicationError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApplicationError) return error;
    throw new Error(`expected an ApplicationError, got ${String(error)}`);
  }
  throw new Error('expected a refusal, but the state opened');
}

const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const unb64url = (text: string): string => Buffer.from(text, 'base64url').toString('utf8');

describe('RequestStateKeys', () => {
  const realNow = Date.now;
  afterEach(() => {
    Date.now = realNow;
  });

  it('seal then open, same binding - the payload comes back, in the SDK wire shape v1.<body>.<mac>', async () => {
    const keys = sealer();

    const state = await keys.seal(PAYLOAD, CALL_ECHO);

    expect(state).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    await expect(keys.open(state, CALL_ECHO)).resolves.toEqual(PAYLOAD);
  });

  it('the wire value - holds neither the binding nor the principal in clear (only a tag)', async () => {
    const binding = requestStateBinding({ method: 'tools/call', name: 'echo', principal: 'alice@example.com' });

    const state = await sealer().seal({ n: 1 }, binding);

    const body = unb64url(state.split('.')[1]);
    expect(body).not.toContain('alice');
    expect(JSON.parse(body)).toEqual({ p: { n: 1 }, exp: expect.any(Number), b: expect.any(String) });
  });

  it('body re-encoded with another payload, MAC kept - refused as a signature mismatch', async () => {
    const keys = sealer();
    const [prefix, body, mac] = (await keys.seal({ admin: false }, CALL_ECHO)).split('.');
    const forged = JSON.parse(unb64url(body)) as { p: Record<string, unknown> };
    forged.p.admin = true;

    const error = await refusal(keys.open([prefix, b64url(JSON.stringify(forged)), mac].join('.'), CALL_ECHO));

    expect(error.code).toBe('request_state.invalid');
    expect(error.message).toMatch(/signature does not match/);
  });

  it('one character of the MAC changed - refused as a signature mismatch', async () => {
    const keys = sealer();
    const state = await keys.seal(PAYLOAD, CALL_ECHO);
    const last = state.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${state.slice(0, -2)}${last}${state.at(-1)}`;

    const error = await refusal(keys.open(tampered, CALL_ECHO));

    expect(error.code).toBe('request_state.invalid');
    expect(error.message).toMatch(/signature does not match/);
  });

  it('opened at the ttl - accepted; one second after it - refused as expired', async () => {
    const keys = sealer();
    const sealedAt = 1_800_000_000_000;
    Date.now = () => sealedAt;
    const state = await keys.seal(PAYLOAD, CALL_ECHO);

    Date.now = () => sealedAt + TTL * 1000;
    await expect(keys.open(state, CALL_ECHO)).resolves.toEqual(PAYLOAD);
    Date.now = () => sealedAt + (TTL + 1) * 1000;
    const error = await refusal(keys.open(state, CALL_ECHO));

    expect(error.code).toBe('request_state.invalid');
    expect(error.message).toMatch(/expired/);
  });

  it.each([
    ['another tool', { method: 'tools/call', name: 'execute_command', principal: 'anonymous' }],
    ['another method', { method: 'prompts/get', name: 'echo', principal: 'anonymous' }],
    ['another principal', { method: 'tools/call', name: 'echo', principal: 'mallory' }],
  ])('sealed for tools/call echo, opened for %s - refused as bound to another request', async (_, other) => {
    const keys = sealer();
    const state = await keys.seal(PAYLOAD, CALL_ECHO);

    const error = await refusal(keys.open(state, requestStateBinding(other)));

    expect(error.code).toBe('request_state.invalid');
    expect(error.message).toMatch(/issued for another request/);
    expect(error.message).not.toContain('mallory');
  });

  it('binding parts that would collide when joined with a separator - different bindings', () => {
    const a = requestStateBinding({ method: 'tools/call', name: 'a","b', principal: 'c' });
    const b = requestStateBinding({ method: 'tools/call', name: 'a', principal: 'b","c' });

    expect(a).not.toBe(b);
  });

  describe('rotation', () => {
    it('sealed with the old key, keys replaced by [new, old] - still opens; new states are sealed with the new key', async () => {
      const keys = sealer([OLD]);
      const oldState = await keys.seal(PAYLOAD, CALL_ECHO);

      keys.replaceKeys([NEW, OLD]);
      const newState = await keys.seal(PAYLOAD, CALL_ECHO);

      await expect(keys.open(oldState, CALL_ECHO)).resolves.toEqual(PAYLOAD);
      await expect(sealer([NEW]).open(newState, CALL_ECHO)).resolves.toEqual(PAYLOAD);
      await expect(refusal(sealer([OLD]).open(newState, CALL_ECHO))).resolves.toBeInstanceOf(ApplicationError);
    });

    it('sealed with the old key, keys replaced by [new] - refused as a signature mismatch', async () => {
      const keys = sealer([OLD]);
      const oldState = await keys.seal(PAYLOAD, CALL_ECHO);

      keys.replaceKeys([NEW]);
      const error = await refusal(keys.open(oldState, CALL_ECHO));

      expect(error.code).toBe('request_state.invalid');
      expect(error.message).toMatch(/signature does not match/);
    });

    it('an old-key state bound elsewhere, keys [new, old] - refused for the binding, not the signature', async () => {
      const keys = sealer([OLD]);
      const oldState = await keys.seal(PAYLOAD, CALL_ECHO);
      keys.replaceKeys([NEW, OLD]);

      const error = await refusal(keys.open(oldState, requestStateBinding({ method: 'tools/call', name: 'other', principal: 'anonymous' })));

      expect(error.message).toMatch(/issued for another request/);
    });

    it('a key shorter than 32 bytes - replaceKeys throws and the current keys stay', async () => {
      const keys = sealer([OLD]);
      const state = await keys.seal(PAYLOAD, CALL_ECHO);

      expect(() => keys.replaceKeys([NEW, 'short'])).toThrow(RangeError);

      expect(keys.keyCount).toBe(1);
      await expect(keys.open(state, CALL_ECHO)).resolves.toEqual(PAYLOAD);
    });

    it('a new ttl - applies to states sealed afterwards, not to those already out', async () => {
      const keys = sealer([OLD]);
      const sealedAt = 1_800_000_000_000;
      Date.now = () => sealedAt;
      const before = await keys.seal(PAYLOAD, CALL_ECHO);
      keys.replaceKeys([OLD], 60);
      const after = await keys.seal(PAYLOAD, CALL_ECHO);

      Date.now = () => sealedAt + 120_000;

      await expect(keys.open(before, CALL_ECHO)).resolves.toEqual(PAYLOAD);
      expect((await refusal(keys.open(after, CALL_ECHO))).message).toMatch(/expired/);
    });
  });

  describe('without configured keys', () => {
    it('no keys - one warning naming mcp.request_state.keys, and states still round-trip in this process', async () => {
      const logger = new RecordingLogger();
      const keys = sealer([], logger);

      const state = await keys.seal(PAYLOAD, CALL_ECHO);

      await expect(keys.open(state, CALL_ECHO)).resolves.toEqual(PAYLOAD);
      expect(keys.keyCount).toBe(0);
      expect(logger.at('warn')).toHaveLength(1);
      expect(logger.at('warn')[0].message).toMatch(/mcp\.request_state\.keys.*restart.*replica/s);
    });

    it('two servers without keys - neither accepts the other\'s states (a random key each)', async () => {
      const state = await sealer([]).seal(PAYLOAD, CALL_ECHO);

      const error = await refusal(sealer([]).open(state, CALL_ECHO));

      expect(error.message).toMatch(/signature does not match/);
    });

    it('reloaded without keys again - no second warning, the same random key (states stay valid)', async () => {
      const logger = new RecordingLogger();
      const keys = sealer([], logger);
      const state = await keys.seal(PAYLOAD, CALL_ECHO);

      keys.replaceKeys([]);

      expect(logger.at('warn')).toHaveLength(1);
      await expect(keys.open(state, CALL_ECHO)).resolves.toEqual(PAYLOAD);
    });

    it('keys configured, then all removed by a reload - warns again; keys added back - they seal again', async () => {
      const logger = new RecordingLogger();
      const keys = sealer([OLD], logger);

      keys.replaceKeys([]);
      expect(logger.at('warn')).toHaveLength(1);
      keys.replaceKeys([NEW]);
      const state = await keys.seal(PAYLOAD, CALL_ECHO);

      await expect(sealer([NEW]).open(state, CALL_ECHO)).resolves.toEqual(PAYLOAD);
    });
  });

  describe('malformed input never throws anything but request_state.invalid', () => {
    const keys = sealer([NEW, OLD]);
    let valid: string;
    beforeAll(async () => {
      valid = await keys.seal(PAYLOAD, CALL_ECHO);
    });

    async function expectRefused(state: unknown): Promise<void> {
      const error = await refusal(keys.open(state as string, CALL_ECHO));
      expect(error.code).toBe('request_state.invalid');
      expect(error.message).not.toContain('round');
    }

    it.each([
      '', 'v1', 'v1.', 'v1..', 'v1...', '.', 'v2.abc.def', 'V1.abc.def', 'v1.abc', 'v1.!!!.???', 'v1.a b.c d', 'v1.abc.',
      'v1..abc', 'v1.a.b.c', 'v1.====.====', 'v1.\u0000.\u0000', 'v1.ü.ß', 'v1.😀.😀', '{"p":{}}', 'null', ' v1.abc.def ',
      `v1.${b64url('not json')}.${b64url('x'.repeat(32))}`, `v1.${b64url('{"p":{},"exp":99999999999}')}.`,
      `v1.${b64url('{"p":{},"exp":99999999999}')}.${'A'.repeat(43)}`,
    ])('state %j - refused', async (state) => {
      await expectRefused(state);
    });

    it.each(['v1.!!!.???', 'v1.abc.def ', 'v1.abc=.def', 'v1.ab+c.def'])('not the strict wire shape (%j) - refused as malformed', async (state) => {
      expect((await refusal(keys.open(state, CALL_ECHO))).message).toBe('requestState is malformed');
    });

    it.each([undefined, null, 42, {}, [], true])('not a string (%j) - refused', async (state) => {
      await expectRefused(state);
    });

    it('over a mebibyte - refused', async () => {
      await expectRefused(`v1.${'A'.repeat(1024 * 1024)}.AAAA`);
    });

    it('every truncation and every one-character change of a valid state - refused', async () => {
      const variants: string[] = [];
      for (let i = 0; i < valid.length; i++) {
        variants.push(valid.slice(0, i));
        variants.push(valid.slice(0, i) + (valid[i] === 'x' ? 'y' : 'x') + valid.slice(i + 1));
        variants.push(valid.slice(0, i) + valid.slice(i + 1));
      }
      variants.push(`${valid}A`, `${valid}.`, `${valid} `);
      // base64url's last character carries unused bits: a change there may decode to the same MAC bytes.
      const distinct = await Promise.all(
        variants.map(async (variant) => {
          try {
            return { variant, opened: await keys.open(variant, CALL_ECHO) };
          } catch (error) {
            if (!(error instanceof ApplicationError) || error.code !== 'request_state.invalid') throw error;
            return undefined;
          }
        }),
      );
      const opened = distinct.filter((outcome) => outcome !== undefined);
      expect(opened.length).toBeLessThanOrEqual(1);
      for (const { variant, opened: payload } of opened) {
        expect(payload).toEqual(PAYLOAD);
        expect(Buffer.from(variant.split('.')[2], 'base64url')).toEqual(Buffer.from(valid.split('.')[2], 'base64url'));
      }
    });

    it('500 random strings over the wire alphabet - each refused', async () => {
      const alphabet = 'v1.ABCXYZabcxyz0189-_=+/ \u00e9';
      let seed = 20261204;
      const next = (): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed;
      };
      for (let i = 0; i < 500; i++) {
        const length = next() % 80;
        const text = Array.from({ length }, () => alphabet[next() % alphabet.length]).join('');
        await expectRefused(i % 2 === 0 ? `v1.${text}` : text);
      }
    });
  });
});

describe('RequestStateKeys.selfCheck (the start-up check of the SDK codec adaptation)', () => {
  it('on the pinned SDK codec - passes, with configured keys and with the per-process key', async () => {
    await expect(sealer([OLD]).selfCheck()).resolves.toBeUndefined();
    await expect(sealer([]).selfCheck()).resolves.toBeUndefined();
  });

  it('a codec that stopped honouring the binding - fails loudly, naming the pinned SDK and ADR 006', async () => {
    class IgnoresBinding extends RequestStateKeys {
      override open(state: string): Promise<Record<string, unknown>> {
        return super.open(state, 'self-check:a');
      }
    }
    const broken = new IgnoresBinding({ keys: [OLD], ttlSeconds: TTL }, new RecordingLogger());
    await expect(broken.selfCheck()).rejects.toThrow(/self-check failed \(another binding was not refused as expected\).*2\.4\.0.*ADR 006/);
  });

  it('a codec whose sealed state does not open - fails loudly', async () => {
    class CannotOpen extends RequestStateKeys {
      override async open(): Promise<Record<string, unknown>> {
        throw new Error('mac');
      }
    }
    const broken = new CannotOpen({ keys: [OLD], ttlSeconds: TTL }, new RecordingLogger());
    await expect(broken.selfCheck()).rejects.toThrow(/self-check failed \(seal and open\)/);
  });
});
