import { startClient, serverEnv, createTempWorkspace, type TempWorkspace } from '../support/spawn-server.js';

const NAMED_SCHEMAS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const DATA = new Set(['default', 'const', 'enum', 'examples', 'required']);

/** Every place below `schema` where `type` is not a single string, as JSON paths. */
function multiTyped(schema: unknown, at = '$'): string[] {
  if (Array.isArray(schema)) return schema.flatMap((item, i) => multiTyped(item, `${at}[${i}]`));
  if (schema === null || typeof schema !== 'object') return [];
  const own = 'type' in schema && typeof (schema as { type: unknown }).type !== 'string' ? [`${at}.type`] : [];
  const below = Object.entries(schema).flatMap(([key, value]) => {
    if (DATA.has(key) || key === 'type') return [];
    // Under `properties` the keys are names (a property may be called "type"); the values are schemas.
    if (NAMED_SCHEMAS.has(key) && value !== null && typeof value === 'object') {
      return Object.entries(value).flatMap(([name, sub]) => multiTyped(sub, `${at}.${key}.${name}`));
    }
    return multiTyped(value, `${at}.${key}`);
  });
  return [...own, ...below];
}

describe('tool schemas are portable (built server, conformance fixtures on)', () => {
  let ws: TempWorkspace;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-schemas-');
  });

  afterAll(async () => {
    await ws.cleanup();
  });

  it('no input or output schema of any tool uses an array-valued type', async () => {
    const handle = await startClient(serverEnv({ TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root, TELEMETRYFLOW_MCP_MCP__FIXTURES__CONFORMANCE: 'true' }));
    try {
      const { tools } = await handle.client.listTools();
      expect(tools.length).toBeGreaterThan(7);
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['execute_command', 'system_info', 'read_file']));
      const problems = tools.flatMap((tool) => [
        ...multiTyped(tool.inputSchema, `${tool.name}.inputSchema`),
        ...multiTyped(tool.outputSchema ?? {}, `${tool.name}.outputSchema`),
      ]);
      expect(problems).toEqual([]);
      // Nullable fields are still nullable, as anyOf.
      // (An output schema is anyOf [the tool's own shape, the error envelope].)
      const output = tools.find((t) => t.name === 'execute_command')?.outputSchema as unknown as { anyOf: { properties: Record<string, unknown> }[] };
      expect(output.anyOf[0].properties['signal']).toEqual({ anyOf: [{ type: 'string' }, { type: 'null' }] });
    } finally {
      await handle.close();
    }
  });

  it('the walker itself finds array-valued types', () => {
    expect(multiTyped({ properties: { a: { type: ['string', 'null'] }, b: { items: [{ type: 'x' }, { type: ['a'] }] } } })).toEqual([
      '$.properties.a.type',
      '$.properties.b.items[1].type',
    ]);
    // A property named "type" is not a type keyword.
    expect(multiTyped({ properties: { type: { type: 'string', enum: ['file'] } } })).toEqual([]);
  });
});
