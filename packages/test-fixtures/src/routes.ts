export interface RouteAnswer {
  /** `GET /v1/calc/{id}`, as the service's OpenAPI document names the route. */
  route: string;
  status: number;
  body: string;
}

export interface CallEveryRouteOptions {
  /** Appended to every path, such as `?a=1&a=2`. */
  query?: string;
  headers?: Record<string, string>;
  /** The value of each `{parameter}` of the paths by name; `1` for the others. */
  pathValues?: Record<string, string>;
  /** Only the routes (`GET /v1/calc/{id}`) this accepts. */
  only?: (route: string) => boolean;
}

/**
 * Calls every route a service lists in its `/openapi.json` once and gives the answers, in the
 * document's order: for rules that must hold on every route, including routes added later.
 */
export async function callEveryRoute(
  baseUrl: string,
  options: CallEveryRouteOptions = {},
): Promise<RouteAnswer[]> {
  const { query = '', headers = {}, pathValues = {}, only = () => true } = options;
  const base = baseUrl.replace(/\/$/, '');
  const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const answers: RouteAnswer[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const method of Object.keys(operations)) {
      const route = `${method.toUpperCase()} ${path}`;
      if (!only(route)) continue;
      const concrete = path.replaceAll(/\{([^}]+)\}/g, (_match, name: string) =>
        encodeURIComponent(pathValues[name] ?? '1'),
      );
      const response = await fetch(`${base}${concrete}${query}`, {
        method: method.toUpperCase(),
        headers,
      });
      answers.push({ route, status: response.status, body: await response.text() });
    }
  }
  return answers;
}
