import { SaxesParser } from 'saxes';

export interface XmlValidation {
  valid: boolean;
  error_msg: string | null;
  error_line: number | null;
}

const NRML_NAMESPACES = [
  'http://openquake.org/xmlns/nrml/0.4',
  'http://openquake.org/xmlns/nrml/0.5',
];

/**
 * OpenQuake's /v1/valid/: is the text well-formed XML, and is it NRML (a root `nrml` element
 * in an NRML namespace, holding one model element)? Errors carry the line where they were
 * found. No NRML model schemas ship with this server (it has no hazard module), so models are
 * checked only for that outer structure.
 */
export function validateXml(text: string): XmlValidation {
  const parser = new SaxesParser({ xmlns: true, position: true });
  let failure: { message: string; line: number } | null = null;
  let depth = 0;
  let rootSeen = false;
  let children = 0;
  parser.on('error', (error) => {
    failure ??= { message: error.message.replace(/^\d+:\d+: /, ''), line: parser.line };
    throw error;
  });
  parser.on('opentag', (tag) => {
    if (failure !== null) return;
    if (depth === 0) {
      rootSeen = true;
      if (tag.local !== 'nrml' || !NRML_NAMESPACES.includes(tag.uri)) {
        failure = {
          message: `The root element must be nrml in the NRML namespace (${NRML_NAMESPACES.join(' or ')}), not ${tag.name}${tag.uri ? ` in ${tag.uri}` : ''}`,
          line: parser.line,
        };
      }
    } else if (depth === 1) {
      children++;
      if (children > 1)
        failure = { message: 'An nrml element holds exactly one model element', line: parser.line };
    }
    depth++;
  });
  parser.on('closetag', () => {
    depth--;
  });
  try {
    parser.write(text).close();
  } catch {
    // recorded by the error handler
  }
  if (failure === null && !rootSeen) failure = { message: 'No root element', line: parser.line };
  if (failure === null && children === 0)
    failure = { message: 'The nrml element holds no model', line: parser.line };
  const found = failure as { message: string; line: number } | null;
  return found === null
    ? { valid: true, error_msg: null, error_line: null }
    : { valid: false, error_msg: found.message, error_line: found.line };
}
