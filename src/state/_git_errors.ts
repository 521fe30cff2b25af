/** An object the repository does not hold (the code isomorphic-git uses for the same case). */
export class GitMissing extends Error {
  readonly code = "NotFoundError";
  constructor(readonly oid: string) {
    super(`no object ${oid} in the repository`);
  }
}

/** A malformed object, pack or index: the repository is damaged, not the request wrong. */
export class GitCorrupt extends Error {
  readonly code = "CorruptError";
}
