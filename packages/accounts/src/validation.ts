import { InvalidInputError } from '@geoworks/errors';
import { parseAddress } from '@geoworks/mailer';

// Django's ASCIIUsernameValidator: letters, digits and @ . + - _, at most 150 characters.
const USERNAME = /^[A-Za-z0-9@.+_-]{1,150}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkUsername(username: unknown): string {
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    throw new InvalidInputError(
      `Username ${JSON.stringify(username)} is not valid: use 1 to 150 letters, digits and @ . + - _`,
      { code: 'INVALID_USERNAME' },
    );
  }
  return username;
}

/** A bare address, with its domain in lower case (as Django's normalize_email). */
export function checkEmail(email: unknown): string {
  let address: string;
  try {
    const parsed = parseAddress(email as string, 'email');
    if (parsed.name !== '' || (email as string).trim() !== parsed.address) {
      throw new InvalidInputError(`email: ${JSON.stringify(email)} must be a bare address`);
    }
    address = parsed.address;
  } catch (error) {
    throw new InvalidInputError((error as Error).message, { code: 'INVALID_EMAIL' });
  }
  const at = address.lastIndexOf('@');
  return address.slice(0, at) + address.slice(at).toLowerCase();
}

export function checkGroupName(name: unknown): string {
  if (
    typeof name !== 'string' ||
    name.trim() !== name ||
    name === '' ||
    name.length > 150 ||
    CONTROL.test(name)
  ) {
    throw new InvalidInputError(
      `Group name ${JSON.stringify(name)} is not valid: use 1 to 150 characters, without control characters or surrounding spaces`,
      { code: 'INVALID_GROUP' },
    );
  }
  return name;
}
