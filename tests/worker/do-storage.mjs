// workerd's local Durable Object storage as miniflare persists it (one SQLite file per
// object, the alarms in metadata.sqlite), read-only with Python's sqlite3 (Node 20 has
// no SQLite of its own): how many objects hold data, and when their alarms are due.
// Used by tests/worker/alarm.test.mjs and bench/worker.mjs.
import { execFileSync } from "node:child_process";

const INSPECT = String.raw`
import glob, json, os, sqlite3, sys, time
root = sys.argv[1]
objects = with_data = data_bytes = 0
for f in glob.glob(os.path.join(root, "**", "*.sqlite"), recursive=True):
    if os.path.basename(f) == "metadata.sqlite":
        continue
    objects += 1
    db = sqlite3.connect("file:" + f + "?mode=ro", uri=True)
    try:
        n, b = db.execute("select count(*), coalesce(sum(length(value)), 0) from _cf_KV").fetchone()
    except sqlite3.Error:
        n, b = 0, 0
    db.close()
    if n:
        with_data += 1
        data_bytes += b
now_ns = time.time() * 1e9
due = []
for f in glob.glob(os.path.join(root, "**", "metadata.sqlite"), recursive=True):
    db = sqlite3.connect("file:" + f + "?mode=ro", uri=True)
    try:
        due += [(row[-1] - now_ns) / 1e9 for row in db.execute("select * from _cf_ALARM")]
    except sqlite3.Error:
        pass
    db.close()
due.sort()
print(json.dumps({"objects": objects, "withData": with_data, "dataBytes": data_bytes, "alarms": len(due),
                  "dueMinS": due[0] if due else None, "dueMaxS": due[-1] if due else None}))
`;

/** `{ objects, withData, dataBytes, alarms, dueMinS, dueMaxS }` of the storage in `dir`
 * (seconds from now until the first and last alarm). */
export function inspectStorage(dir) {
  return JSON.parse(execFileSync("python3", ["-c", INSPECT, dir], { encoding: "utf8", timeout: 60_000 }));
}
