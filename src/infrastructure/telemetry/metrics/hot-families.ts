/**
 * Counters and histograms for the request path, kept in plain numbers and written out in the
 * Prometheus text format at scrape time. prom-client's own inc()/observe() hash and validate a
 * label object on every call, which made metrics a visible share of a call's CPU (ADR 011); here a
 * report is a walk of nested maps keyed by already-bounded label values, and an increment.
 */

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const number = (value: number): string => (value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value));

/** Label values → the series they name, one map level per label; a series is created on first use. */
class SeriesTree<S> {
  readonly #root = new Map<string, unknown>();
  readonly #all: { readonly values: readonly string[]; readonly series: S }[] = [];

  constructor(
    private readonly depth: 1 | 2 | 3,
    private readonly create: () => S,
  ) {}

  /** Exactly `depth` values, in label order. */
  get(a: string, b?: string, c?: string): S {
    switch (this.depth) {
      case 1:
        return this.#leaf(this.#root, a, a, b, c);
      case 2:
        return this.#leaf(this.#branch(this.#root, a), b as string, a, b, c);
      case 3:
        return this.#leaf(this.#branch(this.#branch(this.#root, a), b as string), c as string, a, b, c);
    }
  }

  entries(): readonly { readonly values: readonly string[]; readonly series: S }[] {
    return this.#all;
  }

  #branch(level: Map<string, unknown>, key: string): Map<string, unknown> {
    let next = level.get(key) as Map<string, unknown> | undefined;
    if (!next) {
      next = new Map();
      level.set(key, next);
    }
    return next;
  }

  #leaf(level: Map<string, unknown>, key: string, a: string, b: string | undefined, c: string | undefined): S {
    let series = level.get(key) as S | undefined;
    if (!series) {
      series = this.create();
      level.set(key, series);
      this.#all.push({ values: ([a, b, c] as string[]).slice(0, this.depth), series });
    }
    return series;
  }
}

abstract class Family<S> {
  protected readonly tree: SeriesTree<S>;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    create: () => S,
  ) {
    if (labelNames.length < 1 || labelNames.length > 3) throw new Error(`${name}: 1 to 3 labels`);
    this.tree = new SeriesTree(labelNames.length as 1 | 2 | 3, create);
  }

  protected labels(values: readonly string[], extra = ''): string {
    const pairs = values.map((value, i) => `${this.labelNames[i]}="${escapeLabel(value)}"`);
    if (extra) pairs.push(extra);
    return `{${pairs.join(',')}}`;
  }

  protected header(type: string): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${type}\n`;
  }

  abstract render(): string;
}

export class CounterFamily extends Family<{ value: number }> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, labelNames, () => ({ value: 0 }));
  }

  /** The series for these label values (in label order); add to its `value`. */
  series(a: string, b?: string, c?: string): { value: number } {
    return this.tree.get(a, b, c);
  }

  render(): string {
    let text = this.header('counter');
    for (const { values, series } of this.tree.entries()) text += `${this.name}${this.labels(values)} ${number(series.value)}\n`;
    return text;
  }
}

export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i += 1;
    if (i < bounds.length) this.counts[i] += 1;
    this.sum += value;
    this.count += 1;
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    super(name, help, labelNames, () => new HistogramSeries(bounds));
    this.#bounds = bounds;
  }

  series(a: string, b?: string, c?: string): HistogramSeries {
    return this.tree.get(a, b, c);
  }

  render(): string {
    let text = this.header('histogram');
    for (const { values, series } of this.tree.entries()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.counts[i];
        text += `${this.name}_bucket${this.labels(values, `le="${number(bound)}"`)} ${cumulative}\n`;
      });
      text += `${this.name}_bucket${this.labels(values, 'le="+Inf"')} ${series.count}\n`;
      text += `${this.name}_sum${this.labels(values)} ${number(series.sum)}\n`;
      text += `${this.name}_count${this.labels(values)} ${series.count}\n`;
    }
    return text;
  }
}

/** A family without labels: one number. */
export class PlainFamily {
  value = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}

  render(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n${this.name} ${number(this.value)}\n`;
  }
}
