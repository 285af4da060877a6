/**
 * Markdown for check runs and comments, and fitting it into GitHub's size limits
 * without breaking a code block or a collapsible section.
 *
 * Sizes are measured in UTF-8 bytes. GitHub states its limits in characters, and a
 * character is never fewer bytes than it counts as characters or UTF-16 code units, so
 * text within the byte limit is within the character limit however GitHub counts.
 */

/** Maximum length of a check run's `output.summary` and `output.text`. */
export const CHECK_OUTPUT_LIMIT = 65_535;

/** Maximum length of an issue or pull request comment body. */
export const COMMENT_LIMIT = 65_536;

/**
 * A part of a Markdown document. `markdown` lines are written as they are; the lines
 * of a `collapsible` block are preformatted text inside `<details>`, which readers open
 * on demand, and which is split into several blocks when the document is split.
 */
export type MarkdownBlock = { kind: "markdown"; lines: string[] } | { kind: "collapsible"; summary: string; lines: string[] };

/** Size of `text` in UTF-8 bytes. */
export function textSize(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Renders the blocks into one document, with a blank line between blocks. */
export function renderMarkdown(blocks: readonly MarkdownBlock[]): string {
  return paginateMarkdown(blocks, Number.POSITIVE_INFINITY)[0] ?? "";
}

/**
 * Splits the blocks into documents of at most `maxSize` bytes each, at line boundaries.
 * A collapsible block cut in two is closed at the end of one document and reopened,
 * marked as continued, at the start of the next. A single line longer than a document
 * is cut into pieces.
 */
export function paginateMarkdown(blocks: readonly MarkdownBlock[], maxSize: number): string[] {
  const writer = new PageWriter(maxSize);
  blocks.forEach((block, index) => {
    if (index > 0) writer.add("");
    if (block.kind === "markdown") {
      for (const line of block.lines) writer.add(line);
      return;
    }
    const fence = fenceFor(block.lines);
    const summary = escapeMarkdown(block.summary);
    writer.openSection(
      [`<details><summary>${summary}</summary>`, "", `${fence}text`],
      [fence, "", "</details>"],
      [`<details><summary>${summary} (continued)</summary>`, "", `${fence}text`],
    );
    for (const line of block.lines) writer.add(line);
    writer.closeSection();
  });
  return writer.finish();
}

/**
 * Renders the blocks into at most `maxSize` bytes. When they do not fit, the document
 * is cut at a line boundary (closing any open collapsible block) and `note` is appended.
 */
export function truncateMarkdown(blocks: readonly MarkdownBlock[], maxSize: number, note: string): string {
  const whole = paginateMarkdown(blocks, maxSize);
  if (whole.length <= 1) return whole[0] ?? "";
  const first = paginateMarkdown(blocks, maxSize - textSize(note) - 2)[0] ?? "";
  return `${first}\n\n${note}`;
}

/** Escapes text for Markdown outside code: emphasis, links, tables and HTML stay literal. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|~#])/g, "\\$1");
}

/** An inline code span holding `text` literally; also safe inside a table cell. */
export function inlineCode(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ").replace(/\|/g, "\\|");
  const longestRun = Math.max(0, ...[...flat.matchAll(/`+/g)].map((match) => match[0].length));
  const ticks = "`".repeat(longestRun + 1);
  const padded = flat.startsWith("`") || flat.endsWith("`") ? ` ${flat} ` : flat;
  return `${ticks}${padded}${ticks}`;
}

/** A code fence longer than any backtick run in `lines`, so that no line can close it. */
function fenceFor(lines: readonly string[]): string {
  let longest = 0;
  for (const line of lines) {
    for (const match of line.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  }
  return "`".repeat(Math.max(3, longest + 1));
}

interface Section {
  footer: string[];
  footerSize: number;
  reopen: string[];
}

/** Accumulates lines into pages of at most `maxSize` bytes. */
class PageWriter {
  private readonly pages: string[] = [];
  private lines: string[] = [];
  /** Bytes of `lines` joined with newlines, plus one for the newline before the next line. */
  private size = 0;
  /** Lines added since the page started, other than a reopened section header. */
  private content = 0;
  private section: Section | null = null;

  constructor(private readonly maxSize: number) {}

  add(line: string): void {
    const reserve = this.section?.footerSize ?? 0;
    if (this.size + textSize(line) + reserve > this.maxSize && this.content > 0) this.flush();

    let rest = line;
    while (this.size + textSize(rest) + reserve > this.maxSize) {
      const room = this.maxSize - this.size - reserve;
      const piece = takePrefix(rest, room);
      if (piece === "") throw new RangeError(`a page of ${this.maxSize} bytes cannot hold any text after its header`);
      this.push(piece);
      rest = rest.slice(piece.length);
      this.flush();
    }
    this.push(rest);
  }

  openSection(header: string[], footer: string[], reopen: string[]): void {
    for (const line of header) this.add(line);
    this.section = { footer, footerSize: footer.reduce((sum, line) => sum + textSize(line) + 1, 0), reopen };
  }

  closeSection(): void {
    const section = this.section;
    this.section = null;
    for (const line of section?.footer ?? []) this.add(line);
  }

  finish(): string[] {
    if (this.lines.length > 0 || this.pages.length === 0) this.pages.push(this.lines.join("\n"));
    return this.pages;
  }

  private push(line: string): void {
    this.lines.push(line);
    this.size += textSize(line) + 1;
    this.content++;
  }

  private flush(): void {
    const section = this.section;
    if (section !== null) this.lines.push(...section.footer);
    this.pages.push(this.lines.join("\n"));
    this.lines = [];
    this.size = 0;
    this.content = 0;
    if (section !== null) {
      for (const line of section.reopen) {
        this.lines.push(line);
        this.size += textSize(line) + 1;
      }
    }
  }
}

/** Returns the longest prefix of `text`, whole code points only, of at most `maxSize` bytes. */
function takePrefix(text: string, maxSize: number): string {
  let size = 0;
  let end = 0;
  for (const char of text) {
    const charSize = textSize(char);
    if (size + charSize > maxSize) break;
    size += charSize;
    end += char.length;
  }
  return text.slice(0, end);
}

/** `text` cut to at most `maxSize` bytes, ending with `…` when it was cut. */
export function clampText(text: string, maxSize: number): string {
  if (textSize(text) <= maxSize) return text;
  return `${takePrefix(text, maxSize - textSize("…"))}…`;
}
