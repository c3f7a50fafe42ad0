import { InvalidInputError } from '@geoworks/errors';

/** The data file does not fit the model (shape, columns, timestamp, file name). */
export class ModelInputError extends InvalidInputError {
  constructor(model: string, message: string) {
    super(`${model}: ${message}`, { code: 'BAD_MODEL_INPUT', details: { model } });
  }
}

/** No model of this name. */
export class UnknownModelError extends InvalidInputError {
  constructor(name: string, known: readonly string[]) {
    super(`Unknown model "${name}"; the models are ${known.join(', ')}`, {
      code: 'UNKNOWN_MODEL',
      details: { model: name, known },
    });
  }
}
