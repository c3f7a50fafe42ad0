import { describe, expect, it } from 'vitest';
import { isFileKey, JobConfigError, parseJobIni } from '../src/index.js';

describe('parseJobIni (configparser without interpolation)', () => {
  it('merges sections, lower-cases keys, keeps values raw and continues indented lines', () => {
    const params = parseJobIni(
      [
        '# a comment',
        '[general]',
        'Description = Grid x square %(not interpolated)s',
        'calculation_mode: intersection',
        '',
        '; another comment',
        '[inputs]',
        'first_file = grid.geojson',
        'stats = min',
        '    max',
        '    mean',
      ].join('\n'),
    );
    expect(params).toEqual({
      description: 'Grid x square %(not interpolated)s',
      calculation_mode: 'intersection',
      first_file: 'grid.geojson',
      stats: 'min\nmax\nmean',
    });
  });

  it('refuses a key given twice, a key before any section and unparsable lines, naming the lines', () => {
    expect(() => parseJobIni('[a]\nx = 1\n[b]\nX = 2\n')).toThrow(
      'the key "x" is given twice (lines 2 and 4)',
    );
    expect(() => parseJobIni('x = 1\n')).toThrow('line 1: a key before any [section]');
    expect(() => parseJobIni('[a]\nnot a pair\n', 'mine.ini')).toThrow(JobConfigError);
    expect(() => parseJobIni('[a]\nnot a pair\n', 'mine.ini')).toThrow(
      'mine.ini, line 2: cannot parse "not a pair"',
    );
  });

  it('knows which keys name input files', () => {
    expect(['first_file', 'exposure_csv', 'data_hdf5'].map(isFileKey)).toEqual([true, true, true]);
    expect(['first_field', 'description', 'file'].map(isFileKey)).toEqual([false, false, false]);
  });
});
