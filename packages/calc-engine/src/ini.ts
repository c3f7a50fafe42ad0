import { JobConfigError } from './errors.js';

/**
 * Reads a job.ini as OpenQuake does with Python's configparser without interpolation: all
 * sections merged into one set of keys (a key given twice is an error), `key = value` or
 * `key: value`, `#` and `;` comment lines, values continued on indented lines, keys lower-cased.
 */
export function parseJobIni(text: string, name = 'job.ini'): Record<string, string> {
  const params: Record<string, string> = {};
  const where = new Map<string, number>();
  let current: string | null = null;
  let sawSection = false;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.replace(/\s+$/, '');
    if (line.trim() === '' || /^\s*[#;]/.test(line)) {
      // A blank line ends a continued value; comments are skipped.
      if (line.trim() === '') current = null;
      return;
    }
    if (/^\s/.test(line) && current !== null) {
      params[current] = `${params[current]}\n${line.trim()}`;
      return;
    }
    const section = /^\[([^\]]+)\]\s*$/.exec(line);
    if (section) {
      sawSection = true;
      current = null;
      return;
    }
    const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (pair === null)
      throw new JobConfigError(
        `${name}, line ${lineNumber}: cannot parse "${line.trim()}"`,
        'BAD_INI',
      );
    if (!sawSection)
      throw new JobConfigError(
        `${name}, line ${lineNumber}: a key before any [section]`,
        'BAD_INI',
      );
    const key = pair[1]!.trim().toLowerCase();
    if (key in params) {
      throw new JobConfigError(
        `${name}: the key "${key}" is given twice (lines ${where.get(key)} and ${lineNumber})`,
        'BAD_INI',
      );
    }
    params[key] = pair[2]!.trim();
    where.set(key, lineNumber);
    current = key;
  });
  return params;
}

/** Keys that name input files, relative to the ini (OpenQuake: `*_file`, `*_csv`, `*_hdf5`). */
export function isFileKey(key: string): boolean {
  return /_(file|csv|hdf5)$/.test(key);
}
