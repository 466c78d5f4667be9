import { syncBuiltinESMExports } from 'node:module';
import type { TracerProvider } from '@opentelemetry/api';

/**
 * Client spans for pg, ioredis and node:http (which carries @clickhouse/client), put on the
 * libraries' prototypes directly instead of through require/import hooks: the server ships as an
 * esbuild bundle (scripts/bundle.mjs), where those hooks never see a bundled package, and hooks
 * would also have to be installed before the first import. Importing the package here gives the
 * same module instance the adapters use (shared chunk in the bundle, module cache otherwise), so
 * patching its prototypes reaches every client, including ones created earlier.
 *
 * Every client span needs a parent: a relay poll or a health check outside any request stays
 * untraced instead of minting a trace per query.
 *
 * Every package here is CommonJS: through import() Node offers named exports and `default`, an
 * esbuild chunk `default` only, so each is read through `default`.
 */
export type InstrumentedClient = 'pg' | 'ioredis' | 'http';

/** What we use of an instrumentation: its module definitions (public API since 0.5x, meant for bundlers). */
interface Patchable {
  setTracerProvider(provider: TracerProvider): void;
  getModuleDefinitions(): readonly {
    readonly name: string;
    patch?: (exports: unknown, version?: string) => unknown;
    unpatch?: (exports: unknown, version?: string) => void;
  }[];
}

type Undo = () => void;

function apply(instrumentation: Patchable, provider: TracerProvider, modules: Readonly<Record<string, unknown>>): Undo {
  instrumentation.setTracerProvider(provider);
  const patched: Undo[] = [];
  for (const definition of instrumentation.getModuleDefinitions()) {
    const target = modules[definition.name];
    if (target === undefined || definition.patch === undefined) continue;
    definition.patch(target);
    patched.push(() => definition.unpatch?.(target));
  }
  return () => patched.reverse().forEach((undo) => undo());
}

async function instrumentPg(provider: TracerProvider): Promise<Undo> {
  const [instrumentationPg, pg] = await Promise.all([import('@opentelemetry/instrumentation-pg'), import('pg')]);
  const { PgInstrumentation } = instrumentationPg.default;
  const exports = pg.default;
  // pg.Pool is a subclass of pg-pool's class, whose prototype holds connect/end.
  const poolClass = Object.getPrototypeOf(exports.Pool) as unknown;
  const instrumentation = new PgInstrumentation({ enabled: false, requireParentSpan: true, enhancedDatabaseReporting: false });
  return apply(instrumentation, provider, { pg: exports, 'pg-pool': poolClass });
}

async function instrumentIoredis(provider: TracerProvider): Promise<Undo> {
  const [instrumentationIoredis, ioredis] = await Promise.all([import('@opentelemetry/instrumentation-ioredis'), import('ioredis')]);
  const { IORedisInstrumentation } = instrumentationIoredis.default;
  const instrumentation = new IORedisInstrumentation({
    enabled: false,
    requireParentSpan: true,
    // Keys carry principals and session ids, values carry cached answers: the command name only.
    dbStatementSerializer: (command) => command,
  });
  return apply(instrumentation, provider, { ioredis: ioredis.default });
}

async function instrumentHttp(provider: TracerProvider): Promise<Undo> {
  const [instrumentationHttp, http, https] = await Promise.all([
    import('@opentelemetry/instrumentation-http'),
    import('node:http'),
    import('node:https'),
  ]);
  const { HttpInstrumentation } = instrumentationHttp.default;
  const instrumentation = new HttpInstrumentation({
    enabled: false,
    // Incoming requests get their span from the MCP request helper, which also reads `_meta`.
    disableIncomingRequestInstrumentation: true,
    requireParentforOutgoingSpans: true,
    headersToSpanAttributes: {},
  });
  const undo = apply(instrumentation, provider, { http: http.default, https: https.default });
  // `import { request } from 'node:http'` bindings follow the patched module only after a sync.
  syncBuiltinESMExports();
  return () => {
    undo();
    syncBuiltinESMExports();
  };
}

const INSTRUMENT: Record<InstrumentedClient, (provider: TracerProvider) => Promise<Undo>> = {
  pg: instrumentPg,
  ioredis: instrumentIoredis,
  http: instrumentHttp,
};

/** Patches the named clients; the returned function takes the patches off again (shutdown, tests). */
export async function instrumentClients(clients: readonly InstrumentedClient[], provider: TracerProvider): Promise<Undo> {
  const undos = await Promise.all([...new Set(clients)].map((client) => INSTRUMENT[client](provider)));
  return () => undos.reverse().forEach((undo) => undo());
}
