/** `Zoë Brontë-O'Neill` → `zoe bronte-o'neill`: the form names are stored and searched in. */
export function foldName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}
