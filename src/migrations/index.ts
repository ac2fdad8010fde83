import { Foundation1764100000000 } from './1764100000000-foundation';

/** Every migration, in order; listed explicitly so the app, the CLI and the tests run the same set. */
export const MIGRATIONS = [Foundation1764100000000];
