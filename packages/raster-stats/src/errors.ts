import { InvalidInputError, UnsupportedMediaTypeError } from '@geoworks/errors';
import { baseName } from '@geoworks/geodata';

export class NotARasterError extends UnsupportedMediaTypeError {
  constructor(path: string, reason: string) {
    super(`${baseName(path)} is not a readable raster: ${reason}`, {
      code: 'NOT_A_RASTER',
      details: { reason },
    });
  }
}

export class BandOutOfRangeError extends InvalidInputError {
  constructor(path: string, band: number, count: number) {
    super(`${baseName(path)} has ${count} band(s); band ${band} does not exist`, {
      code: 'BAND_OUT_OF_RANGE',
      details: { band, count },
    });
  }
}
