import { z } from 'zod';

/** Request params as tfo-mcp accepts them; unknown extra fields are allowed (forward compatibility). */
const meta = { _meta: z.record(z.string(), z.unknown()).optional() };

export const InitializeParams = z.looseObject({
  ...meta,
  protocolVersion: z.string().min(1).max(64),
  capabilities: z.record(z.string(), z.unknown()),
  clientInfo: z.looseObject({ name: z.string().min(1).max(200), version: z.string().max(100), title: z.string().max(200).optional() }),
});

export const PaginatedParams = z.looseObject({ ...meta, cursor: z.string().max(1024).optional() });

export const CallToolParams = z.looseObject({
  ...meta,
  name: z.string().min(1).max(256),
  arguments: z.record(z.string(), z.unknown()).optional(),
});

export const ReadResourceParams = z.looseObject({ ...meta, uri: z.string().min(1).max(8192) });

export const GetPromptParams = z.looseObject({
  ...meta,
  name: z.string().min(1).max(256),
  arguments: z.record(z.string(), z.string().max(1_000_000)).optional(),
});

export const SetLevelParams = z.looseObject({ ...meta, level: z.string().min(1).max(32) });

export const CompleteParams = z.looseObject({
  ...meta,
  ref: z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('ref/prompt'), name: z.string().min(1).max(256) }),
    z.looseObject({ type: z.literal('ref/resource'), uri: z.string().min(1).max(8192) }),
  ]),
  argument: z.looseObject({ name: z.string().min(1).max(256), value: z.string().max(8192) }),
  context: z.looseObject({ arguments: z.record(z.string(), z.string()).optional() }).optional(),
});

export const EmptyParams = z.looseObject({ ...meta });
