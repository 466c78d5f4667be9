import type { Tracer } from '../../../application/ports/tracer.js';

interface Bus {
  execute(message: object): Promise<unknown>;
}

/**
 * The command or query bus with one span per dispatch, named by the message class (the handler's
 * use case). A view over the same bus: handlers registered through either are the same handlers,
 * and `instanceof CommandBus` still holds. Applied only when tracing is on, so the bus's one Map
 * lookup stays all the untraced path pays.
 */
export function tracedBus<B extends Bus>(bus: B, tracer: Tracer): B {
  const view = Object.create(bus) as B;
  const execute = bus.execute.bind(bus);
  view.execute = ((message: object) => tracer.handler(message.constructor.name, () => execute(message))) as B['execute'];
  return view;
}
