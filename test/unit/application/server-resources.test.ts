import { GetHealthHandler } from '../../../src/application/health/get-health.query.js';
import { EmbeddedHealthCheck } from '../../../src/infrastructure/health/embedded-health-checks.js';
import { InMemoryOutbox } from '../../../src/infrastructure/persistence/memory/in-memory-outbox.js';
import { InMemorySessionRepository } from '../../../src/infrastructure/persistence/memory/in-memory-session-repository.js';
import { ServerResources } from '../../../src/application/resources/server.resources.js';
import { RecordingLogger, serverSettings } from '../../support/builders.js';
import { FixedClock, T0 } from '../../support/fixed-clock.js';

function setup(config: Record<string, unknown> = { server: { name: 'tfo' }, claude: { api_key: '[redacted]' } }) {
  const clock = new FixedClock();
  const sessions = new InMemorySessionRepository(new InMemoryOutbox(100, new RecordingLogger()), 10);
  const health = new GetHealthHandler(sessions, [new EmbeddedHealthCheck('persistence', 'memory')], serverSettings(), clock);
  return { clock, health, resources: new ServerResources(config, () => health.execute()) };
}

describe('ServerResources', () => {
  it('resources - config://server and status://health, both JSON', () => {
    const { resources } = setup();

    expect(resources.resources()).toEqual([
      expect.objectContaining({ uri: 'config://server', name: 'server-config', mimeType: 'application/json' }),
      expect.objectContaining({ uri: 'status://health', name: 'server-health', mimeType: 'application/json' }),
    ]);
    expect(resources.templates()).toEqual([]);
  });

  it('read config://server - the config it was given, as pretty JSON text', async () => {
    const config = { server: { name: 'tfo' }, claude: { api_key: '[redacted]' }, mcp: { roots: ['/srv'] } };
    const { resources } = setup(config);

    const contents = await resources.read('config://server');

    expect(contents).toEqual([{ uri: 'config://server', mimeType: 'application/json', text: JSON.stringify(config, null, 2) }]);
  });

  it('read status://health - the current health report from the query bus', async () => {
    const { resources, health, clock } = setup();
    clock.advance(5_000);

    const contents = await resources.read('status://health');

    const report = JSON.parse((contents?.[0] as { text: string }).text) as unknown;
    expect(report).toEqual(JSON.parse(JSON.stringify(await health.execute())));
    expect(report).toMatchObject({ status: 'up', uptimeSeconds: 5, checkedAt: new Date(T0.getTime() + 5_000).toISOString() });
  });

  it.each(['config://other', 'status://health/extra', 'file:///etc/passwd', 'CONFIG://SERVER', ''])('read %j - not ours: undefined', async (uri) => {
    const { resources } = setup();
    await expect(resources.read(uri)).resolves.toBeUndefined();
  });
});
