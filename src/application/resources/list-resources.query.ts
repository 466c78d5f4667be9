import type { Resource, ResourceTemplate } from '../../domain/resource/resource.js';
import { ListCatalogQuery, listCatalogHandler } from '../list-catalog.query.js';
import type { ResourceCatalog } from './resource-catalog.js';

export class ListResourcesQuery extends ListCatalogQuery<Resource> {}

export class ListResourceTemplatesQuery extends ListCatalogQuery<ResourceTemplate> {}

export const ListResourcesHandler = listCatalogHandler(ListResourcesQuery, 'resources/list', (catalog: ResourceCatalog) => catalog.resources());

export const ListResourceTemplatesHandler = listCatalogHandler(
  ListResourceTemplatesQuery,
  'resources/templates/list',
  (catalog: ResourceCatalog) => catalog.templates(),
);
