const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text made safe for HTML and SVG/XML content and attribute values: class and file names come from users.
 * `&#39;` rather than `&apos;` because it means the same in both languages.
 */
export function escapeMarkup(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
