/**
 * Removes a directory tree that others may still be writing into (a deregistered app's repo or
 * volume). Renaming it aside first is atomic: from then on nothing can create files under the
 * old path, so the recursive removal cannot race a writer into "Directory not empty". A missing
 * tree is already removed.
 */
export async function removeTree(path: string): Promise<void> {
  const slash = path.replace(/\/+$/, "").lastIndexOf("/");
  const aside = `${path.slice(0, slash)}/.${path.slice(slash + 1)}.removing-${crypto.randomUUID()}`;
  try {
    await Deno.rename(path, aside);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  await Deno.remove(aside, { recursive: true });
}
