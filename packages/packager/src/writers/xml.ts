/* eslint-disable no-control-regex -- matching control characters is the point here */
/**
 * Characters XML 1.0 forbids (C0 controls but tab/LF/CR, U+FFFE, U+FFFF, unpaired surrogates),
 * which no parser would accept even as character references: they are dropped.
 */
const FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Anything that needs work in text content; most values match nothing and are returned as-is. */
const TEXT_SPECIAL =
  /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]|_x[0-9A-Fa-f]{4}_/;

const ATTRIBUTE_SPECIAL = /[&<>"'\t\n\r\u0000-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;
/* eslint-enable no-control-regex */

/** Removes characters that XML 1.0 does not allow. */
export function stripForbidden(text: string): string {
  return text.replace(FORBIDDEN, '');
}

/** Escapes text for an XML attribute value in double quotes. */
export function xmlAttribute(text: string): string {
  if (!ATTRIBUTE_SPECIAL.test(text)) return text;
  return stripForbidden(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\t', '&#9;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;');
}

/**
 * Escapes text for the content of a SpreadsheetML `<t>` element.
 *
 * - CR is written as `&#13;` because XML parsers turn a literal CR (and CRLF) into LF.
 * - Excel decodes `_xHHHH_` in strings as the character U+HHHH (its own escape for characters
 *   XML cannot carry), so a literal `_x0041_` must have its underscore escaped as `_x005F_`
 *   (a lookahead, so that `_x0041_x0042_` escapes both).
 */
export function xmlText(text: string): string {
  if (!TEXT_SPECIAL.test(text)) return text;
  return stripForbidden(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('\r', '&#13;')
    .replace(/_(?=x[0-9A-Fa-f]{4}_)/g, '_x005F_');
}
