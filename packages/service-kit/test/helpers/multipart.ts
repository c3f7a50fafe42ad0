// Multipart bodies written byte by byte, for what fetch's FormData would escape or refuse:
// raw file names with backslashes, NUL or newlines, bodies cut short, parts without names.

export const BOUNDARY = 'test-boundary-7MA4YWxkTrZu0gW';
export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

export type Part =
  | { field: string; value: string }
  | { field: string; filename: string; content: Buffer | string; type?: string }
  /** `filename*=UTF-8''...` (RFC 5987): percent-encoding lets any byte into the name. */
  | { field: string; encodedFilename: string; content: Buffer | string };

export function partHeader(part: Part): string {
  const lines = [`--${BOUNDARY}`];
  if ('value' in part) {
    lines.push(`Content-Disposition: form-data; name="${part.field}"`);
  } else if ('filename' in part) {
    lines.push(`Content-Disposition: form-data; name="${part.field}"; filename="${part.filename}"`);
    lines.push(`Content-Type: ${part.type ?? 'application/octet-stream'}`);
  } else {
    lines.push(
      `Content-Disposition: form-data; name="${part.field}"; filename*=UTF-8''${part.encodedFilename}`,
    );
    lines.push('Content-Type: application/octet-stream');
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export function multipartBody(parts: readonly Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(partHeader(part), 'utf8'));
    chunks.push(Buffer.from('value' in part ? part.value : part.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}
