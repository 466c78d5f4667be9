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

  it('tells onRefused of each refusal with its scope (the executor-refusal metric), and of nothing admitted', () => {
    const refusals: string[] = [];
    const budget = new InFlightBudget(2, 1, (scope) => refusals.push(scope));
    held(budget.reserve('a'));
    budget.reserve('a');
    held(budget.reserve('b'));
    budget.reserve('c');
    expect(refusals).toEqual(['session', 'global']);
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
