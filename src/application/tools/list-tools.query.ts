import { ListCatalogQuery, listCatalogHandler } from '../list-catalog.query.js';
import type { ToolDescriptor, ToolRegistry } from './tool-registry.js';

export class ListToolsQuery extends ListCatalogQuery<ToolDescriptor> {}

export const ListToolsHandler = listCatalogHandler(
  ListToolsQuery,
  'tools/list',
  (registry: ToolRegistry) => registry.descriptors(),
  (grants, tools) => (grants.allowsEvery('tools') ? tools : tools.filter((tool) => grants.allowsTool(tool.name))),
);
