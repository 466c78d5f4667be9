import { CounterFamily, HistogramFamily, PlainFamily } from '../../../../../src/infrastructure/telemetry/metrics/hot-families.js';
import { parseExposition, valueOf } from '../../../../support/prometheus-text.js';

describe('request-path families written as Prometheus text', () => {
  it('a counter - one line per series, in creation order, under its HELP and TYPE', () => {
    const family = new CounterFamily('x_total', 'Things.\nWith a second line and a \\ backslash.', ['a', 'b']);
    family.series('1', 'one').value += 2;
    family.series('2', 'two').value += 1;
    family.series('1', 'one').value += 1;
    expect(family.render()).toBe(
      '# HELP x_total Things.\\nWith a second line and a \\\\ backslash.\n# TYPE x_total counter\nx_total{a="1",b="one"} 3\nx_total{a="2",b="two"} 1\n',
    );
  });

  it('a label value with a quote, a backslash or a newline is escaped, and reads back unchanged', () => {
    const family = new CounterFamily('y_total', 'h', ['name']);
    const hostile = 'a"b\\c\nd';
    family.series(hostile).value = 5;
    expect(family.render()).toContain('y_total{name="a\\"b\\\\c\\nd"} 5');
    expect(valueOf(parseExposition(family.render()), 'y_total', { name: hostile })).toBe(5);
  });

  it('the same values name the same series whatever the depth; different values different ones', () => {
    const family = new CounterFamily('z_total', 'h', ['a', 'b', 'c']);
    expect(family.series('p', 'q', 'r')).toBe(family.series('p', 'q', 'r'));
    expect(family.series('p', 'q', 'r')).not.toBe(family.series('p', 'r', 'q'));
    expect(family.series('p', 'q', 'r')).not.toBe(family.series('q', 'q', 'r'));
  });

  it('a histogram - cumulative buckets up to +Inf, with sum and count; a value on a bound counts in that bucket', () => {
    const family = new HistogramFamily('d_seconds', 'h', ['op'], [0.1, 1, 10]);
    for (const value of [0.05, 0.1, 0.5, 1, 20]) family.series('read').observe(value);
    const samples = parseExposition(family.render());
    const bucket = (le: string) => valueOf(samples, 'd_seconds_bucket', { op: 'read', le });
    expect([bucket('0.1'), bucket('1'), bucket('10'), bucket('+Inf')]).toEqual([2, 4, 4, 5]);
    expect(valueOf(samples, 'd_seconds_sum', { op: 'read' })).toBeCloseTo(21.65, 9);
    expect(valueOf(samples, 'd_seconds_count', { op: 'read' })).toBe(5);
    expect(family.render()).toContain('# TYPE d_seconds histogram\n');
  });

  it('a family without labels - one line, gauge or counter', () => {
    const gauge = new PlainFamily('in_flight', 'h', 'gauge');
    gauge.value = 3;
    expect(gauge.render()).toBe('# HELP in_flight h\n# TYPE in_flight gauge\nin_flight 3\n');
  });

  it('refuses a family with no labels or more than three (the hot path has a method per depth)', () => {
    expect(() => new CounterFamily('n_total', 'h', [])).toThrow('1 to 3 labels');
    expect(() => new CounterFamily('n_total', 'h', ['a', 'b', 'c', 'd'])).toThrow('1 to 3 labels');
  });
});
