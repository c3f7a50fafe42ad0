import { describe, expect, it } from 'vitest';
import { validateXml } from '../src/index.js';

const NRML = 'http://openquake.org/xmlns/nrml/0.5';

describe('validateXml', () => {
  it('accepts NRML with one model', () => {
    expect(
      validateXml(
        `<?xml version="1.0"?>\n<nrml xmlns="${NRML}">\n  <exposureModel id="x"/>\n</nrml>\n`,
      ),
    ).toEqual({
      valid: true,
      error_msg: null,
      error_line: null,
    });
  });

  it('gives the line of a syntax error', () => {
    const result = validateXml(
      `<?xml version="1.0"?>\n<nrml xmlns="${NRML}">\n  <a>\n  </b>\n</nrml>\n`,
    );
    expect(result.valid).toBe(false);
    expect(result.error_line).toBe(4);
    expect(result.error_msg).toMatch(/close tag/);
  });

  it('refuses well-formed XML that is not NRML', () => {
    const other = validateXml('<root>\n<x/>\n</root>');
    expect(other.valid).toBe(false);
    expect(other.error_line).toBe(1);
    expect(other.error_msg).toMatch(/The root element must be nrml/);
    const two = validateXml(`<nrml xmlns="${NRML}">\n<a/>\n<b/>\n</nrml>`);
    expect(two).toMatchObject({
      valid: false,
      error_line: 3,
      error_msg: 'An nrml element holds exactly one model element',
    });
    expect(validateXml('')).toMatchObject({ valid: false });
  });
});
