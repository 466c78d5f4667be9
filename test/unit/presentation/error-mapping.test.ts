import { ApplicationError } from '../../../src/application/application.errors.js';
import { toMcpError } from '../../../src/presentation/mcp/error-mapping.js';
import { RecordingLogger } from '../../support/builders.js';

describe('toMcpError - error code style', () => {
  const logger = new RecordingLogger();

  it.each([
    ['tool.not_found', 'mcp', -32602],
    ['prompt.not_found', 'mcp', -32602],
    ['resource.not_found', 'mcp', -32002],
    ['tool.not_found', 'telemetryflow', -32001],
    ['prompt.not_found', 'telemetryflow', -32003],
    ['resource.not_found', 'telemetryflow', -32002],
    ['params.invalid', 'telemetryflow', -32602],
  ] as const)('%s with %s codes - %i, the reason kept in data', (code, style, expected) => {
    const mapped = toMcpError(new ApplicationError(code, 'not here: x'), logger, 'm', style);
    expect(mapped.code).toBe(expected);
    expect(mapped.data).toEqual({ reason: code });
    expect(mapped.message).toBe('not here: x');
  });

  it('defaults to the MCP specification codes', () => {
    expect(toMcpError(new ApplicationError('tool.not_found', 'Tool not found: t'), logger, 'tools/call').code).toBe(-32602);
  });
});
