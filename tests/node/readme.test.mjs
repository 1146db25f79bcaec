// npm/README.md prints what its code prints. Every ```js block runs, in order, in one
// Node module against the package as npm installs it (`npm pack` of pkg/, imported as
// "vipps-login"); a ```text block after it is what that block must print (console.log),
// `…` standing for random base64url characters; a block without one must print
// nothing. Browser globals the examples use (sessionStorage, location, showMessage)
// are small stand-ins; location.assign() comes back as Vipps would, with a code and
// the state. Blocks marked `<!-- readme-test: see FILE -->` run elsewhere (FILE).
// `make test-node`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installPacked, scratchDir } from "./packed.mjs";
import { readmeBlocks } from "./readme.mjs";

const root = new URL("../../", import.meta.url);
const blocks = readmeBlocks();

/** The js blocks to run, each with the text block that follows it (or null). */
function examples() {
  const out = [];
  for (const [i, b] of blocks.entries()) {
    if (b.lang === "text") {
      const prev = blocks[i - 1];
      assert.ok(prev?.lang === "js" && !prev.marker, `npm/README.md:${b.line}: a text block must follow a js block that runs`);
      out.at(-1).prints = b.code;
    } else if (b.lang === "js" && !b.marker) {
      out.push({ ...b, prints: null });
    }
  }
  return out;
}

const STUBS = `// Browser stand-ins for the README's examples, and console.log captured per block.
import { format } from "node:util";
const store = new Map();
globalThis.sessionStorage = {
  getItem: (k) => (store.has(k) ? store.get(k) : null),
  setItem: (k, v) => void store.set(k, String(v)),
  removeItem: (k) => void store.delete(k),
};
const assigned = [];
globalThis.location = {
  href: "https://shop.example/",
  // Vipps sends the user back to redirect_uri with a code and the state.
  assign(url) {
    assigned.push(url);
    const u = new URL(url);
    this.href = u.searchParams.get("redirect_uri") + "?code=code-from-vipps&state=" + u.searchParams.get("state") +
      "&scope=" + encodeURIComponent(u.searchParams.get("scope"));
  },
};
globalThis.showMessage = (m) => console.log("showMessage: " + m);
const printed = [];
const errors = [];
let current = -1;
console.log = (...args) => { printed[current] += format(...args) + "\\n"; };
globalThis.__block = (i) => { current = i; printed[i] = ""; };
globalThis.__error = (i, e) => { errors[i] = String(e?.stack ?? e); };
globalThis.__done = () => process.stdout.write(JSON.stringify({ printed, errors, assigned }));
`;

/** One module: the blocks' imports merged and hoisted, each block in its own scope. */
function program(list) {
  const imports = new Map(); // module -> Set of names
  const bodies = list.map((b, i) => {
    const body = [];
    for (const line of b.code.split("\n")) {
      if (!line.startsWith("import ")) {
        body.push(line);
        continue;
      }
      const m = line.match(/^import \{ ([\w, ]+) \} from "([^"]+)";$/);
      assert.ok(m, `npm/README.md:${b.line}: only \`import { a, b } from "module";\` lines can run here: ${line}`);
      const names = imports.get(m[2]) ?? new Set();
      for (const n of m[1].split(",")) names.add(n.trim());
      imports.set(m[2], names);
    }
    return `__block(${i});\ntry {\n${body.join("\n")}\n} catch (e) { __error(${i}, e); }`;
  });
  const head = [...imports].map(([mod, names]) => `import { ${[...names].join(", ")} } from ${JSON.stringify(mod)};`);
  return [...head, ...bodies, "__done();", ""].join("\n");
}

const normalize = (s) => s.replace(/\s+/g, " ").trim();
function matches(actual, expected) {
  const pattern = normalize(expected)
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[A-Za-z0-9_-]+");
  return new RegExp(`^${pattern}$`).test(normalize(actual));
}

test("npm/README.md: every js example runs in Node and prints what the README shows", () => {
  const list = examples();
  assert.ok(list.length >= 6, `only ${list.length} examples found`);
  const { dir, remove } = scratchDir("vipps-login-readme");
  try {
    installPacked(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "readme", private: true, type: "module" }));
    writeFileSync(join(dir, "stubs.mjs"), STUBS);
    writeFileSync(join(dir, "readme.mjs"), program(list));
    const out = execFileSync(process.execPath, ["--import", "./stubs.mjs", "readme.mjs"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 30_000,
    });
    const { printed, errors, assigned } = JSON.parse(out);
    for (const [i, b] of list.entries()) {
      const where = `npm/README.md:${b.line}`;
      assert.ok(!errors[i], `${where} threw: ${errors[i]}`);
      if (b.prints === null) {
        assert.equal(printed[i], "", `${where} prints, but the README shows no output:\n${printed[i]}`);
      } else {
        assert.ok(matches(printed[i], b.prints), `${where} prints\n${printed[i]}\nbut the README shows\n${b.prints}`);
      }
    }
    // "Start a login" sent the browser to the URL it printed.
    assert.equal(assigned.length, 1);
    assert.ok(assigned[0].startsWith("https://apitest.vipps.no/access-management-1.0/access/oauth2/auth?client_id=your-client-id&"));
  } finally {
    remove();
  }
});

test("npm/README.md: the wildcard and whitespace rules of this test", () => {
  assert.ok(matches("a\n  b", "a b"));
  assert.ok(matches("state=abc_-9&x", "state=…&x"));
  assert.ok(!matches("state=a b&x", "state=…&x"));
  assert.ok(!matches("ab", "a"));
  // Each block lands in its own scope, with imports hoisted and merged.
  const p = program([
    { line: 1, code: 'import { a } from "m";\nconst x = 1;' },
    { line: 2, code: 'import { a, b } from "m";\nconst x = 2;' },
  ]);
  assert.match(p, /^import \{ a, b \} from "m";\n__block\(0\);/);
  assert.throws(() => program([{ line: 3, code: 'import a from "m";' }]), /only `import/);
});

test("npm/README.md: examples run elsewhere are there", () => {
  const marked = blocks.filter((b) => b.marker);
  assert.ok(marked.length >= 2);
  for (const b of marked) {
    const m = b.marker.match(/^see (\S+)/);
    assert.ok(m, `npm/README.md:${b.line}: marker must say "see FILE": ${b.marker}`);
    const file = new URL(m[1], root);
    assert.ok(existsSync(file), `npm/README.md:${b.line}: ${m[1]} does not exist`);
    const text = readFileSync(file, "utf8");
    if (text.includes("readmeBlocks(")) continue; // reads the block from the README itself
    const lines = text.split("\n").map((l) => l.trim());
    for (const line of b.code.split("\n")) {
      // A trailing comment starts with whitespace and "// " (not the "//" of a URL).
      const statement = line.replace(/\s+\/\/\s.*$/, "").trim();
      if (statement === "") continue;
      assert.ok(lines.includes(statement), `npm/README.md:${b.line}: ${m[1]} has no line \`${statement}\``);
    }
  }
});
