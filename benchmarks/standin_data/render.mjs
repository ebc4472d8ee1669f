// Renders stand-in images as 64x64 PNG files: `node render.mjs avatars|faces FIRST LAST OUT_DIR`.
//
// avatars: DiceBear 9.4.3 "adventurer" (artwork by Lisa Wischofsky, CC BY 4.0), seed `adventurer-<n>`,
//          a solid pastel background picked by DiceBear from PASTELS with the same seed.
// faces:   facesjs 5.0.3 (Apache-2.0), Math.random seeded with `facesjs-<n>` (mulberry32 of a string
//          hash), the head cropped from the 400x600 drawing, on white.
import fs from "node:fs";
import path from "node:path";

import { createAvatar } from "@dicebear/core";
import { adventurer } from "@dicebear/collection";
import { Resvg } from "@resvg/resvg-js";
import { generate, faceToSvgString } from "facesjs";

const PASTELS = ["b6e3f4", "c0aede", "d1d4f9", "ffd5dc", "ffdfbf", "f4f1de", "e0f2e9", "fde2e4", "cde7f0", "ffffff"];
const SIZE = 64;
const HEAD_BOX = "25 130 350 350"; // the head of facesjs's 400x600 drawing: x, y, width, height

function hash(text) {
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return h >>> 0;
}

function mulberry32(seed) {
  return function () {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function png(svg, background) {
  const resvg = new Resvg(svg, { fitTo: { mode: "width", value: SIZE }, background });
  return resvg.render().asPng();
}

function avatar(n) {
  const svg = createAvatar(adventurer, { seed: `adventurer-${n}`, backgroundColor: PASTELS, backgroundType: ["solid"] }).toString();
  return png(svg, undefined);
}

function face(n) {
  const random = Math.random;
  Math.random = mulberry32(hash(`facesjs-${n}`));
  try {
    let svg = faceToSvgString(generate());
    svg = svg.replace(/viewBox="[^"]*"/, `viewBox="${HEAD_BOX}"`).replace(/width="[^"]*"/, 'width="320"')
      .replace(/height="[^"]*"/, 'height="320"');
    return png(svg, "white");
  } finally {
    Math.random = random;
  }
}

const [kind, first, last, outDir] = process.argv.slice(2);
if (!["avatars", "faces"].includes(kind) || !outDir) {
  console.error("usage: node render.mjs avatars|faces FIRST LAST OUT_DIR");
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const prefix = kind === "avatars" ? "adventurer" : "facesjs";
for (let n = Number(first); n <= Number(last); n++) {
  const data = kind === "avatars" ? avatar(n) : face(n);
  fs.writeFileSync(path.join(outDir, `${prefix}_${String(n).padStart(5, "0")}.png`), data);
}
