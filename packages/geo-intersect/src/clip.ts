/**
 * Intersection of two simple polygons (one ring each, no holes) by the Greiner-Hormann
 * algorithm, in plain JavaScript on flat closed rings. It handles the common case, edges
 * crossing cleanly, about ten times faster than a GEOS overlay through GDAL; anything
 * degenerate (a vertex on the other boundary, touching or overlapping edges) returns null
 * and the caller falls back to GEOS. The intersection of two simple polygons has no holes,
 * so each traced ring is one polygon of the result.
 */
import { flatBbox, flatPointInRing } from '@geoworks/planar';

interface Node {
  x: number;
  y: number;
  next: Node;
  prev: Node;
  /** Intersection nodes only: the same point in the other polygon's list. */
  neighbour: Node | null;
  /** Position along its edge, for ordering intersections on one edge. */
  alpha: number;
  entry: boolean;
  visited: boolean;
}

const EPS = 1e-10;

function newNode(x: number, y: number, alpha: number): Node {
  return { x, y, next: null!, prev: null!, neighbour: null, alpha, entry: false, visited: false };
}

/** The vertices of a closed ring as a circular list. */
function makeList(ring: Float64Array): Node[] {
  // Closed ring: the last vertex repeats the first.
  const count = ring.length / 2 - 1;
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) nodes.push(newNode(ring[2 * i]!, ring[2 * i + 1]!, 0));
  link(nodes);
  return nodes;
}

function link(nodes: Node[]): void {
  const count = nodes.length;
  for (let i = 0; i < count; i++) {
    nodes[i]!.next = nodes[(i + 1) % count]!;
    nodes[i]!.prev = nodes[(i + count - 1) % count]!;
  }
}

/**
 * The list of a (large) clip ring, holding only the vertices of edges that reach the box: the
 * rest cannot take part. Clean crossings only ever walk the clip between two crossings
 * through vertices inside the subject, hence inside its box, whose edges are all kept; the
 * list jumps over the others. Each kept edge is returned as its start node (its end is the
 * start's `next`), or null when no edge reaches the box.
 */
function makeClipList(
  ring: Float64Array,
  minX: number,
  minY: number,
  maxX: number,
  maxY: number,
): { nodes: Node[]; edges: Node[] } | null {
  const count = ring.length / 2 - 1;
  const kept: number[] = [];
  const needed = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const j = i + 1 === count ? 0 : i + 1;
    const ax = ring[2 * i]!;
    const ay = ring[2 * i + 1]!;
    const bx = ring[2 * j]!;
    const by = ring[2 * j + 1]!;
    if (
      Math.max(ax, bx) < minX ||
      Math.min(ax, bx) > maxX ||
      Math.max(ay, by) < minY ||
      Math.min(ay, by) > maxY
    )
      continue;
    kept.push(i);
    needed[i] = 1;
    needed[j] = 1;
  }
  if (kept.length === 0) return null;
  // In ring order, a kept edge's end is the vertex listed right after its start.
  const nodeOf: Node[] = [];
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    if (needed[i] === 0) continue;
    nodeOf[i] = newNode(ring[2 * i]!, ring[2 * i + 1]!, 0);
    nodes.push(nodeOf[i]!);
  }
  link(nodes);
  return { nodes, edges: kept.map((i) => nodeOf[i]!) };
}

/** Links an intersection node into its edge (start to end), ordered by position. */
function insertBetween(node: Node, start: Node, end: Node): void {
  let current = start;
  while (current.next !== end && current.next.alpha < node.alpha) current = current.next;
  node.next = current.next;
  node.prev = current;
  current.next.prev = node;
  current.next = node;
}

/**
 * The intersection of `subject` and `clip` (closed rings) as rings, [] when they only touch or
 * miss, or null when the configuration is degenerate and needs a robust overlay.
 */
export function intersectSimplePolygons(
  subject: Float64Array,
  clip: Float64Array,
): Float64Array[] | null {
  const subjectNodes = makeList(subject);
  if (subjectNodes.length < 3 || clip.length / 2 - 1 < 3) return null;
  // The subject's box prunes the clip's edges.
  const clipList = makeClipList(clip, ...flatBbox([subject]));
  if (clipList === null) return null; // no clip edge near: containment or disjointness
  const clipNodes = clipList.nodes;
  let intersections = 0;
  // Original edges, taken before insertion changes the lists.
  const subjectEnds = subjectNodes.map((start) => start.next);
  const clipStarts = clipList.edges;
  const clipEnds = clipStarts.map((start) => start.next);
  for (let s = 0; s < subjectNodes.length; s++) {
    const s1 = subjectNodes[s]!;
    const s2 = subjectEnds[s]!;
    const sMinX = Math.min(s1.x, s2.x);
    const sMaxX = Math.max(s1.x, s2.x);
    const sMinY = Math.min(s1.y, s2.y);
    const sMaxY = Math.max(s1.y, s2.y);
    for (let c = 0; c < clipStarts.length; c++) {
      const c1 = clipStarts[c]!;
      const c2 = clipEnds[c]!;
      if (
        Math.max(c1.x, c2.x) < sMinX ||
        Math.min(c1.x, c2.x) > sMaxX ||
        Math.max(c1.y, c2.y) < sMinY ||
        Math.min(c1.y, c2.y) > sMaxY
      ) {
        continue;
      }
      const dxs = s2.x - s1.x;
      const dys = s2.y - s1.y;
      const dxc = c2.x - c1.x;
      const dyc = c2.y - c1.y;
      const denominator = dxs * dyc - dys * dxc;
      const scale = Math.hypot(dxs, dys) * Math.hypot(dxc, dyc);
      if (Math.abs(denominator) <= EPS * scale) {
        // Parallel: a problem only if collinear and overlapping.
        const cross = (c1.x - s1.x) * dys - (c1.y - s1.y) * dxs;
        if (
          Math.abs(cross) <=
          EPS * Math.hypot(dxs, dys) * (Math.abs(c1.x - s1.x) + Math.abs(c1.y - s1.y) + 1)
        )
          return null;
        continue;
      }
      const alpha = ((c1.x - s1.x) * dyc - (c1.y - s1.y) * dxc) / denominator;
      const beta = ((c1.x - s1.x) * dys - (c1.y - s1.y) * dxs) / denominator;
      if (alpha < -EPS || alpha > 1 + EPS || beta < -EPS || beta > 1 + EPS) continue;
      if (alpha < EPS || alpha > 1 - EPS || beta < EPS || beta > 1 - EPS) return null; // touches at a vertex
      const x = s1.x + alpha * dxs;
      const y = s1.y + alpha * dys;
      const a = newNode(x, y, alpha);
      const b = newNode(x, y, beta);
      a.neighbour = b;
      b.neighbour = a;
      insertBetween(a, s1, s2);
      insertBetween(b, c1, c2);
      intersections++;
    }
  }
  if (intersections === 0) return null; // containment or disjointness: decided elsewhere
  if (intersections % 2 === 1) return null; // cannot happen cleanly: be safe

  // Entry/exit flags: walking a list, the status flips at each crossing.
  const markEntries = (first: Node, other: Float64Array) => {
    let inside = flatPointInRing(first.x, first.y, other);
    let node = first;
    do {
      if (node.neighbour !== null) {
        node.entry = !inside;
        inside = !inside;
      }
      node = node.next;
    } while (node !== first);
  };
  markEntries(subjectNodes[0]!, clip);
  markEntries(clipNodes[0]!, subject);

  const rings: Float64Array[] = [];
  let start: Node | null = findUnvisited(subjectNodes[0]!);
  while (start !== null) {
    const points: number[] = [];
    let current: Node = start;
    let guard = 0;
    do {
      current.visited = true;
      if (current.neighbour !== null) current.neighbour.visited = true;
      if (current.entry) {
        do {
          current = current.next;
          points.push(current.x, current.y);
        } while (current.neighbour === null);
      } else {
        do {
          current = current.prev;
          points.push(current.x, current.y);
        } while (current.neighbour === null);
      }
      current.visited = true;
      current = current.neighbour!;
      if (++guard > 1_000_000) return null;
    } while (current !== start && current !== start.neighbour);
    if (points.length >= 6) {
      points.push(points[0]!, points[1]!);
      rings.push(Float64Array.from(points));
    }
    start = findUnvisited(subjectNodes[0]!);
  }
  return rings;
}

function findUnvisited(first: Node): Node | null {
  let node = first;
  do {
    if (node.neighbour !== null && !node.visited) return node;
    node = node.next;
  } while (node !== first);
  return null;
}
