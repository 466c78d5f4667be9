import { describe, expect, it } from '@jest/globals';
import { bearerCredential, MAX_AUTHORIZATION_CHARS } from '../../../src/infrastructure/auth/oauth/bearer-credential.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

function from(...authorization: string[]) {
  return bearerCredential({ authorization, apiKey: [] });
}

describe('bearerCredential: the hostile-header table', () => {
  it.each([
    ['two Authorization headers', [`Bearer ${JWT}`, `Bearer ${JWT}`], 'more than one Authorization header'],
    ['two headers, the second another scheme', [`Bearer ${JWT}`, 'Basic dTpw'], 'more than one Authorization header'],
    ['a value just over 16 KiB', [`Bearer ${'a'.repeat(MAX_AUTHORIZATION_CHARS)}`], `Authorization header longer than ${MAX_AUTHORIZATION_CHARS} characters`],
    ['a 20 KiB token', [`Bearer ${'a'.repeat(20 * 1024)}`], `Authorization header longer than ${MAX_AUTHORIZATION_CHARS} characters`],
    ['non-ASCII (Latin-1)', [`Bearer ${JWT}\u00e9`], 'Authorization header has characters outside printable ASCII'],
    ['non-ASCII (a homoglyph in the scheme)', [`B\u0435arer ${JWT}`], 'Authorization header has characters outside printable ASCII'],
    ['a control character', [`Bearer ${JWT}\u0000`], 'Authorization header has characters outside printable ASCII'],
    ['a tab', [`Bearer\t${JWT}`], 'Authorization header has characters outside printable ASCII'],
    ['Bearer with no token', ['Bearer '], 'Authorization header is not "Bearer <token>"'],
    ['two tokens (a proxy joined two headers)', [`Bearer ${JWT}, Bearer ${JWT}`], 'Authorization header is not "Bearer <token>"'],
    ['a token with characters outside token68', [`Bearer ${JWT};x=1`], 'Authorization header is not "Bearer <token>"'],
    ['no scheme at all', [JWT], 'Authorization header is not "Bearer <token>"'],
  ])('%s – rejected invalid_request', (_name, headers, reason) => {
    expect(from(...headers)).toEqual({ kind: 'rejected', error: 'invalid_request', reason });
  });

  it('no reason echoes the header value', () => {
    const secret = 'sekrit-token-value';
    for (const headers of [[`Bearer ${secret}é`], [`Bearer ${secret}`, `Bearer ${secret}`], [`Bearer ${secret} x`]]) {
      expect(JSON.stringify(from(...headers))).not.toContain(secret);
    }
  });

  it('exactly 16 KiB – still parsed (the limit is inclusive)', () => {
    const value = `Bearer ${'a'.repeat(MAX_AUTHORIZATION_CHARS - 7)}`;
    expect(value).toHaveLength(MAX_AUTHORIZATION_CHARS);
    expect(from(value)).toMatchObject({ kind: 'token', format: 'opaque' });
  });
});

describe('bearerCredential: what it accepts', () => {
  it('a JWT in any scheme case, after one or more spaces – the token, format jwt', () => {
    for (const value of [`Bearer ${JWT}`, `bearer ${JWT}`, `BEARER  ${JWT}`]) expect(from(value)).toEqual({ kind: 'token', token: JWT, format: 'jwt' });
  });

  it('an unsecured JWT (empty signature) – still jwt-shaped, so JWT verification refuses it', () => {
    expect(from('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toMatchObject({ kind: 'token', format: 'jwt' });
  });

  it('an opaque token (token68, with padding) – format opaque', () => {
    expect(from('Bearer tfo_AbC-123.x~y+z/w==')).toMatchObject({ kind: 'token', token: 'tfo_AbC-123.x~y+z/w==', format: 'opaque' });
  });

  it('no Authorization header, or another scheme – absent', () => {
    expect(from()).toEqual({ kind: 'absent' });
    expect(from('Basic dXNlcjpwYXNz')).toEqual({ kind: 'absent' });
    expect(from(`DPoP ${JWT}`)).toEqual({ kind: 'absent' });
  });
});
