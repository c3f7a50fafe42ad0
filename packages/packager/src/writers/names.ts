/**
 * Lower camel case of a space-separated name, as ckanpackager matches fields to Darwin Core
 * terms: `Event date` -> `eventDate`, `Taxon resource ID` -> `taxonResourceID`. A word written
 * all in capitals (or with no letters) is kept as it is; otherwise the first word is lower-cased
 * and each later word gets a capital initial and lower-case rest (Python's `capitalize`).
 */
export function camelCase(name: string): string {
  const words = name
    .split(' ')
    .map((word) => word.trim())
    .filter((word) => word.length > 0);
  return words
    .map((word, index) => {
      if (word.toUpperCase() === word) return word;
      if (index === 0) return word.toLowerCase();
      return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
    })
    .join('');
}

/**
 * `MeasurementOrFact` -> `measurement_or_fact`: the file stem ckanpackager gives an extension
 * from the `name` in its definition (`Occurrence` -> `occurrence.csv`).
 */
export function fileStem(name: string): string {
  return [...name.matchAll(/([A-Z]+|^)([^A-Z]+|$)/g)]
    .map((match) => match[0].toLowerCase())
    .filter((word) => word.length > 0)
    .join('_');
}
