import path from 'node:path';

/**
 * A deliberately small table: enough for the model to know what it read, not a full registry.
 * A Map, so an extension like ".constructor" cannot reach Object.prototype.
 */
const BY_EXTENSION: ReadonlyMap<string, string> = new Map(Object.entries({
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  ts: 'text/typescript',
  js: 'text/javascript',
  py: 'text/x-python',
  go: 'text/x-go',
  rs: 'text/x-rust',
  html: 'text/html',
  css: 'text/css',
  csv: 'text/csv',
  xml: 'application/xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  wasm: 'application/wasm',
}));

export function mimeTypeOf(filePath: string, binary: boolean): string {
  const extension = path.extname(filePath).slice(1).toLowerCase();
  return BY_EXTENSION.get(extension) ?? (binary ? 'application/octet-stream' : 'text/plain');
}
