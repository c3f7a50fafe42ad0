export interface RouteAnswer {
  /** `GET /v1/calc/{id}`, as the service's OpenAPI document names the route. */
  route: string;
  status: number;
  body: string;
}

/**
 * Calls every route a service lists in its `/openapi.json` once, each `{parameter}` of the path
 * replaced by `1` and `query` (such as `?a=1&a=2`) appended, and gives the answers: for checks
 * that must hold on every route, including routes added later.
 */
export async function callEveryRoute(baseUrl: string, query: string): Promise<RouteAnswer[]> {
  const base = baseUrl.replace(/\/$/, '');
  const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const answers: RouteAnswer[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const method of Object.keys(operations)) {
      const response = await fetch(`${base}${path.replaceAll(/\{[^}]+\}/g, '1')}${query}`, {
        method: method.toUpperCase(),
      });
      answers.push({
        route: `${method.toUpperCase()} ${path}`,
        status: response.status,
        body: await response.text(),
      });
    }
  }
  return answers;
}
