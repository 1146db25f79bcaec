// The fenced code blocks of npm/README.md (the package's README on npm), for
// tests/node/readme.test.mjs, which runs them, and tests/vite/, which uses one.
//
// A block may be preceded by an HTML comment, invisible on npm and GitHub:
//   <!-- readme-test: see FILE (why) -->   not run in Node; FILE holds or reads it.
import { readFileSync } from "node:fs";

export const readmePath = new URL("../../npm/README.md", import.meta.url);

/** [{ lang, code, line, marker }] in order; `line` is 1-based, `marker` the comment's text. */
export function readmeBlocks(text = readFileSync(readmePath, "utf8")) {
  const lines = text.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^```(\S*)/);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !lines[end].startsWith("```")) end++;
    if (end === lines.length) throw new Error(`npm/README.md:${i + 1}: unclosed code block`);
    let before = i - 1;
    while (before >= 0 && lines[before].trim() === "") before--;
    const marker = before >= 0 ? lines[before].match(/^<!-- readme-test: (.*) -->$/)?.[1] ?? null : null;
    blocks.push({ lang: open[1], code: lines.slice(i + 1, end).join("\n"), line: i + 1, marker });
    i = end;
  }
  return blocks;
}
