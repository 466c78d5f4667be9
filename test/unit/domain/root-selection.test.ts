import { intersectRoots, unsafeDefaultRoot, withoutNested } from '../../../src/domain/workspace/root-selection.js';

describe('intersectRoots', () => {
  it.each([
    ['a client root inside an operator root is kept', ['/srv/app/src'], ['/srv/app'], ['/srv/app/src']],
    ['an operator root inside a client root is kept instead', ['/srv'], ['/srv/app'], ['/srv/app']],
    ['equal roots are kept once', ['/srv/app'], ['/srv/app'], ['/srv/app']],
    ['disjoint roots give nothing', ['/home/me'], ['/srv/app'], []],
    ['a sibling with a common prefix is not inside', ['/srv/app-evil'], ['/srv/app'], []],
    ['several roots keep each overlap, nested ones folded', ['/srv/app/a', '/srv/app', '/tmp/x'], ['/srv/app', '/tmp'], ['/srv/app', '/tmp/x']],
  ])('%s', (_name, client, operator, expected) => {
    expect(intersectRoots(client, operator)).toEqual(expected);
  });
});

describe('withoutNested', () => {
  it('drops duplicates and roots inside another root', () => {
    expect(withoutNested(['/a/b', '/a', '/a/', '/c'])).toEqual(['/a', '/c']);
  });
});

describe('unsafeDefaultRoot', () => {
  it.each([
    ['/', 'file system root'],
    ['/etc', 'system directory'],
    ['/usr', 'system directory'],
    ['/tmp', 'system directory'],
    ['/home', 'system directory'],
    ['/Users', 'system directory'],
    ['/private/var', 'system directory'],
    ['/home/alice', 'home directory'],
    ['/Users/alice', 'home directory'],
    ['/root', 'system directory'],
  ])('refuses %s as a default root (%s)', (cwd, kind) => {
    expect(unsafeDefaultRoot(cwd, '/nonexistent-home')).toContain(kind);
  });

  it('refuses the current user home wherever it is', () => {
    expect(unsafeDefaultRoot('/data/users/bob', '/data/users/bob')).toContain('home directory');
  });

  it.each(['/home/alice/project', '/srv/app', '/tmp/work', '/Users/alice/code', '/opt/app/data'])('accepts %s', (cwd) => {
    expect(unsafeDefaultRoot(cwd, '/home/alice')).toBeUndefined();
  });
});
