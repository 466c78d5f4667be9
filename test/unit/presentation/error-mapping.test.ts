import { ApplicationError } from '../../../src/application/application.errors.js';
import { ClientAnswerInvalid, ClientCapabilityMissing } from '../../../src/application/ports/client-requests.js';
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

describe('toMcpError - what a client could not give', () => {
  const logger = new RecordingLogger();

  it('a capability the request did not declare - -32021 with data.requiredCapabilities naming it, nothing logged', () => {
    const mapped = toMcpError(new ClientCapabilityMissing('elicitation'), logger, 'tools/call');
    expect(mapped.code).toBe(-32021);
    expect(mapped.data).toEqual({ requiredCapabilities: { elicitation: {} } });
    expect(mapped.message).toContain('"elicitation"');
    expect(logger.lines).toEqual([]);
  });

  it('an inputResponses answer of the wrong shape - -32602 naming the key', () => {
    const mapped = toMcpError(new ClientAnswerInvalid('inputResponses["user_name"] is not a valid elicitation/create result: action: expected one of'), logger, 'tools/call');
    expect(mapped.code).toBe(-32602);
    expect(mapped.message).toContain('user_name');
  });
});
