import { Command, CommandBus, HandlerNotRegistered, Query, QueryBus, type CommandHandler, type QueryHandler } from '../../../src/application/bus/message-bus.js';

class Greet extends Command<string> {
  constructor(readonly who: string) {
    super();
  }
}

/** Same shape and same name as Greet, but a different class: the bus must not confuse them. */
class GreetLoudly extends Greet {}

class CountLetters extends Query<number> {
  constructor(readonly word: string) {
    super();
  }
}

class GreetHandler implements CommandHandler<Greet> {
  readonly handles = Greet;
  readonly seen: string[] = [];
  async execute(command: Greet): Promise<string> {
    this.seen.push(command.who);
    return `hello ${command.who}`;
  }
}

class CountLettersHandler implements QueryHandler<CountLetters> {
  readonly handles = CountLetters;
  async execute(query: CountLetters): Promise<number> {
    return query.word.length;
  }
}

describe('CommandBus / QueryBus', () => {
  it('execute - registered command - runs its handler and resolves with the typed result', async () => {
    const bus = new CommandBus();
    const handler = new GreetHandler();
    bus.register(handler);

    const result: string = await bus.execute(new Greet('ada'));

    expect(result).toBe('hello ada');
    expect(handler.seen).toEqual(['ada']);
  });

  it('execute - registered query - resolves with the handler result', async () => {
    const bus = new QueryBus();
    bus.register(new CountLettersHandler());

    await expect(bus.execute(new CountLetters('four'))).resolves.toBe(4);
  });

  it('execute - no handler for the message - rejects (never throws synchronously) with HandlerNotRegistered naming it', async () => {
    const bus = new QueryBus();

    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = bus.execute(new CountLetters('x'));
    }).not.toThrow();

    await expect(pending).rejects.toBeInstanceOf(HandlerNotRegistered);
    await expect(pending).rejects.toThrow('no handler registered for CountLetters');
  });

  it('execute - subclass of a registered command - is not dispatched to the parent handler (constructor identity)', async () => {
    const bus = new CommandBus();
    const handler = new GreetHandler();
    bus.register(handler);

    await expect(bus.execute(new GreetLoudly('bob'))).rejects.toThrow('no handler registered for GreetLoudly');
    expect(handler.seen).toEqual([]);
  });

  it('execute - handler rejects - the rejection reaches the caller unchanged', async () => {
    const bus = new CommandBus();
    const failure = new Error('boom');
    bus.register({ handles: Greet, execute: () => Promise.reject(failure) });

    await expect(bus.execute(new Greet('x'))).rejects.toBe(failure);
  });

  it('register - second handler for the same message - throws and keeps the first', async () => {
    const bus = new CommandBus();
    const first = new GreetHandler();
    bus.register(first);

    expect(() => bus.register(new GreetHandler())).toThrow('a handler for Greet is already registered');

    await bus.execute(new Greet('kept'));
    expect(first.seen).toEqual(['kept']);
  });

  it('buses - a command bus does not answer queries registered on a query bus', async () => {
    const queries = new QueryBus();
    queries.register(new CountLettersHandler());
    const commands = new CommandBus();

    await expect(commands.execute(new CountLetters('x') as unknown as Command<number>)).rejects.toBeInstanceOf(HandlerNotRegistered);
  });
});
