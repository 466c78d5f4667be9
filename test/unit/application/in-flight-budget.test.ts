import { InFlightBudget } from '../../../src/application/limits/in-flight-budget.js';

function held(result: ReturnType<InFlightBudget['reserve']>): () => void {
  if (!('release' in result)) throw new Error(`refused: ${result.refused}`);
  return result.release;
}

describe('InFlightBudget', () => {
  it('refuses the session over its own cap, while other sessions still get in', () => {
    const budget = new InFlightBudget(10, 2);
    held(budget.reserve('a'));
    held(budget.reserve('a'));
    expect(budget.reserve('a')).toEqual({ refused: 'session' });
    held(budget.reserve('b'));
    expect(budget.total).toBe(3);
  });

  it('refuses everyone over the global cap, and admits again after a release', () => {
    const budget = new InFlightBudget(3, 3);
    const releases = [held(budget.reserve('a')), held(budget.reserve('b')), held(budget.reserve('c'))];
    expect(budget.reserve('d')).toEqual({ refused: 'global' });
    releases[0]();
    held(budget.reserve('d'));
  });

  it('counts amounts (bytes), and admits one oversized amount when nothing else is held', () => {
    const budget = new InFlightBudget(100, 60);
    const big = held(budget.reserve('a', 150));
    expect(budget.reserve('b', 1)).toEqual({ refused: 'global' });
    big();
    held(budget.reserve('a', 50));
    expect(budget.reserve('a', 20)).toEqual({ refused: 'session' });
    held(budget.reserve('b', 50));
    expect(budget.reserve('c', 1)).toEqual({ refused: 'global' });
  });

  it('a release counts once, however often it is called', () => {
    const budget = new InFlightBudget(2, 2);
    const release = held(budget.reserve('a'));
    held(budget.reserve('a'));
    release();
    release();
    expect(budget.total).toBe(1);
    held(budget.reserve('a'));
    expect(budget.reserve('a')).toEqual({ refused: 'session' });
  });
});
