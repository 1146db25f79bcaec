// Hand-written SVG bar charts for BENCHMARKS.md (no charting library): one horizontal
// bar per row, ours in a colour of its own, the value and the ratio at the bar's end,
// an optional goal line; and a summary of every ratio on a log scale.

const OURS = "#ff5b24"; // Vipps orange
const THEIRS = "#6b7280";
const GOAL = "#2563eb";
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * rows: [{ label, value, ours?: boolean, text?: string (after the value) }];
 * format(value) → string; goal: { value, label } drawn as a dashed line; left/right: the
 * room for the labels and for the text after the bars (the chart widens with them).
 */
export function barChart({ title, subtitle = "", rows, format, goal, left = 250, right = 260 }) {
  const width = 350 + left + right;
  const top = subtitle ? 62 : 44;
  const rowH = 30;
  const barH = 18;
  const plot = width - left - right;
  const max = Math.max(...rows.map((r) => r.value), goal?.value ?? 0) * 1.02 || 1;
  const x = (v) => left + (Math.max(0, v) / max) * plot;
  const height = top + rows.length * rowH + 34;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600" fill="#111827">${esc(title)}</text>`,
  ];
  if (subtitle) parts.push(`<text x="16" y="44" fill="#4b5563">${esc(subtitle)}</text>`);
  parts.push(`<line x1="${left}" y1="${top - 6}" x2="${left}" y2="${top + rows.length * rowH}" stroke="#9ca3af"/>`);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, x(r.value) - left);
    parts.push(
      `<text x="${left - 8}" y="${y + barH - 4}" text-anchor="end" fill="#111827"${r.ours ? ' font-weight="600"' : ""}>${esc(r.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" rx="2" fill="${r.ours ? OURS : THEIRS}"/>`,
      `<text x="${(left + w + 6).toFixed(1)}" y="${y + barH - 4}" fill="#111827">${esc(format(r.value))}${r.text ? ` <tspan fill="#4b5563">${esc(r.text)}</tspan>` : ""}</text>`,
    );
  });
  if (goal && Number.isFinite(goal.value)) {
    const gx = x(goal.value).toFixed(1);
    const yEnd = top + rows.length * rowH;
    parts.push(
      `<line x1="${gx}" y1="${top - 10}" x2="${gx}" y2="${yEnd}" stroke="${GOAL}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
      `<text x="${gx}" y="${yEnd + 18}" text-anchor="middle" fill="${GOAL}">${esc(goal.label)}</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/**
 * Every comparison's ratio ours / theirs on a log scale around 1, with its goal.
 * rows: [{ label, ratio, goal?: number, better: "lower" | "higher" }]; left: the room for
 * the labels (the chart widens with it).
 */
export function ratioChart({ title, subtitle, rows, left = 330 }) {
  const right = 40;
  const width = 490 + left + right;
  const top = 70;
  const rowH = 30;
  const plot = width - left - right;
  const lo = Math.log10(1 / 64);
  const hi = Math.log10(64);
  const x = (v) => left + ((Math.min(hi, Math.max(lo, Math.log10(v))) - lo) / (hi - lo)) * plot;
  const height = top + rows.length * rowH + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600" fill="#111827">${esc(title)}</text>`,
    `<text x="16" y="44" fill="#4b5563">${esc(subtitle)}</text>`,
  ];
  for (const t of [1 / 64, 1 / 16, 1 / 4, 1, 4, 16, 64]) {
    const tx = x(t).toFixed(1);
    parts.push(
      `<line x1="${tx}" y1="${top - 8}" x2="${tx}" y2="${top + rows.length * rowH}" stroke="${t === 1 ? "#111827" : "#e5e7eb"}"/>`,
      `<text x="${tx}" y="${top - 12}" text-anchor="middle" fill="#6b7280" font-size="11">${t < 1 ? `1/${1 / t}` : t}×</text>`,
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const x1 = x(1);
    const x2 = x(r.ratio);
    const good = r.goal === undefined ? null : r.better === "lower" ? r.ratio <= r.goal : r.ratio >= r.goal;
    const colour = good === null ? THEIRS : good ? "#16a34a" : OURS;
    parts.push(
      `<text x="${left - 8}" y="${y + 14}" text-anchor="end" fill="#111827">${esc(r.label)}</text>`,
      `<rect x="${Math.min(x1, x2).toFixed(1)}" y="${y + 1}" width="${Math.max(1, Math.abs(x2 - x1)).toFixed(1)}" height="16" rx="2" fill="${colour}"/>`,
    );
    const label = `${fmtRatio(r.ratio)}${r.goal !== undefined ? ` (goal ${r.better === "lower" ? "≤" : "≥"} ${fmtRatio(r.goal)})` : ""}`;
    // Past the goal's tick when it stands on the same side, so the two do not overlap.
    const gxv = r.goal !== undefined ? x(r.goal) : null;
    const tx = x2 >= x1 ? Math.max(x2, gxv !== null && gxv > x1 ? gxv : x2) + 6 : Math.min(x2, gxv !== null && gxv < x1 ? gxv : x2) - 6;
    parts.push(`<text x="${tx.toFixed(1)}" y="${y + 14}" text-anchor="${x2 >= x1 ? "start" : "end"}" fill="#111827" font-size="12">${esc(label)}</text>`);
    if (r.goal !== undefined) {
      const gx = x(r.goal).toFixed(1);
      parts.push(`<line x1="${gx}" y1="${y - 2}" x2="${gx}" y2="${y + 20}" stroke="${GOAL}" stroke-width="2"/>`);
    }
  });
  const yEnd = top + rows.length * rowH + 24;
  parts.push(
    `<text x="${left}" y="${yEnd}" fill="#6b7280" font-size="12">green: at or past the goal; orange: short of it; blue tick: the goal</text>`,
    "</svg>",
  );
  return parts.join("\n") + "\n";
}

export function fmtRatio(r) {
  if (!Number.isFinite(r)) return "n/a";
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 1 ? `${r.toFixed(2)}×` : `${r.toFixed(2)}×`;
}
