import type { Resource, ResourceTemplate } from '../../domain/resource/resource.js';
import { allowsResource } from '../auth/authorization.js';
import { ListCatalogQuery, listCatalogHandler } from '../list-catalog.query.js';
import type { ResourceCatalog } from './resource-catalog.js';

export class ListResourcesQuery extends ListCatalogQuery<Resource> {}

export class ListResourceTemplatesQuery extends ListCatalogQuery<ResourceTemplate> {}

export const ListResourcesHandler = listCatalogHandler(
  ListResourcesQuery,
  'resources/list',
  (catalog: ResourceCatalog) => catalog.resources(),
  (grants, resources) => (grants.allowsEvery('resources') ? resources : resources.filter((resource) => allowsResource(grants, resource.uri))),
);

/** A template is shown by its URI's scheme (`file:///{path}` needs `resources:file`), as the URIs it expands to are read. */
export const ListResourceTemplatesHandler = listCatalogHandler(
  ListResourceTemplatesQuery,
  'resources/templates/list',
  (catalog: ResourceCatalog) => catalog.templates(),
  (grants, templates) => (grants.allowsEvery('resources') ? templates : templates.filter((template) => allowsResource(grants, template.uriTemplate))),
);
