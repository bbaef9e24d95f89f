/** The element with `id`, of the expected kind; a missing element is a bug in index.html. */
export function byId<T extends HTMLElement>(id: string, kind: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof kind)) throw new Error(`index.html lacks #${id} (${kind.name})`);
  return element;
}
