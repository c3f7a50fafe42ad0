import { InvalidInputError } from '@geoworks/errors';

/** A route given to `createApi` cannot be registered or documented as written. */
export class RouteDefinitionError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'BAD_ROUTE' });
  }
}
