// A problem the operator must fix before momlink can run (a bad variable, a database it cannot
// open): printed plainly with exit status 2, never as a stack trace. Its own tiny module so that
// the store, the config and the CLI can all raise it without importing each other.

export class StartError extends Error {}
