export { JsonArraySplitter, JsonSplitError } from './array-splitter.js';
export type { JsonArraySplitterOptions, JsonSplitProblem, SplitEnd } from './array-splitter.js';
