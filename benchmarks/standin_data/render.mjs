// Renders stand-in images as 64x64 PNG files: `node render.mjs avatars|faces FIRST LAST OUT_DIR [SIZE]`
// (SIZE: the width and height in pixels, 64 unless given; the same drawing at any size),
// and the avatars' tags: `node render.mjs tags FIRST LAST OUT.csv` (no drawing: DiceBear reports the
// options it picks for a seed in `toJson().extra`), their mouths: `node render.mjs mouths FIRST LAST OUT.csv`, and the parts drawn (hair style,
// glasses, mouth): `node render.mjs parts FIRST LAST OUT.csv`.
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
let SIZE = 64;
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

function adventurerAvatar(n) {
  return createAvatar(adventurer, { seed: `adventurer-${n}`, backgroundColor: PASTELS, backgroundType: ["solid"] });
}

function avatar(n) {
  return png(adventurerAvatar(n).toString(), undefined);
}

// DiceBear "adventurer" values -> Danbooru-style tags (the dataset card lists the same table).
const HAIR_COLORS = {
  ac6511: "auburn_hair", cb6820: "orange_hair", ab2a18: "red_hair", e5d7a3: "blonde_hair",
  b9a05f: "light_brown_hair", "796a45": "ash_brown_hair", "6a4e35": "brown_hair", "562306": "dark_brown_hair",
  "0e0e0e": "black_hair", afafaf: "grey_hair", "3eac2c": "green_hair", "85c2c6": "blue_hair",
  dba3be: "pink_hair", "592454": "purple_hair",
};
const SKIN_COLORS = { f2d3b1: "pale_skin", ecad80: "light_skin", "9e5622": "brown_skin", "763900": "dark_skin" };
// What is drawn, not what was picked: short19 is always drawn black whatever hairColor says, and these
// long styles are drawn without the earrings DiceBear picked.
const ALWAYS_BLACK = new Set(["short19"]);
const HIDE_EARRINGS = new Set(["long01", "long04", "long05", "long06", "long20", "long22", "long24", "long26"]);

function tags(n) {
  const extra = adventurerAvatar(n).toJson().extra;
  const hairColor = ALWAYS_BLACK.has(extra.hair) ? "0e0e0e" : extra.hairColor.replace("#", "");
  const skinColor = extra.skinColor.replace("#", "");
  if (!(hairColor in HAIR_COLORS) || !(skinColor in SKIN_COLORS)) {
    throw new Error(`adventurer-${n}: unknown colour hair=${hairColor} skin=${skinColor}`);
  }
  const out = [HAIR_COLORS[hairColor], SKIN_COLORS[skinColor], extra.hair.startsWith("long") ? "long_hair" : "short_hair"];
  if (extra.glasses) out.push("glasses");
  if (extra.earrings && !HIDE_EARRINGS.has(extra.hair)) out.push("earrings");
  if (extra.features) out.push(extra.features); // mustache, blush, freckles or birthmark (at most one)
  return out;
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

const [kind, first, last, outDir, sizeArg] = process.argv.slice(2);
if (!["avatars", "faces", "tags", "mouths", "parts"].includes(kind) || !outDir) {
  console.error("usage: node render.mjs avatars|faces FIRST LAST OUT_DIR | node render.mjs tags|mouths|parts FIRST LAST OUT.csv");
  process.exit(2);
}
if (sizeArg !== undefined) {
  SIZE = Number(sizeArg);
  if (!Number.isInteger(SIZE) || SIZE < 8 || SIZE > 4096) {
    console.error(`SIZE must be a whole number of pixels from 8 to 4096, not ${sizeArg}`);
    process.exit(2);
  }
}
if (kind === "mouths") { // the mouth DiceBear drew for each seed (variant01..30): the avatars' expressions
  const rows = ["filename,mouth"];
  for (let n = Number(first); n <= Number(last); n++) {
    rows.push(`adventurer_${String(n).padStart(5, "0")}.png,${adventurerAvatar(n).toJson().extra.mouth}`);
  }
  fs.writeFileSync(outDir, rows.join("\n") + "\n");
  process.exit(0);
}
if (kind === "parts") { // the parts DiceBear drew for each seed: hair style, glasses (none or variant01..05), mouth
  const rows = ["filename,hair,glasses,mouth"];
  for (let n = Number(first); n <= Number(last); n++) {
    const extra = adventurerAvatar(n).toJson().extra;
    rows.push(`adventurer_${String(n).padStart(5, "0")}.png,${extra.hair},${extra.glasses || "none"},${extra.mouth}`);
  }
  fs.writeFileSync(outDir, rows.join("\n") + "\n");
  process.exit(0);
}
if (kind === "tags") {
  const rows = ["filename,tags"];
  for (let n = Number(first); n <= Number(last); n++) {
    rows.push(`adventurer_${String(n).padStart(5, "0")}.png,${tags(n).join(" ")}`);
  }
  fs.writeFileSync(outDir, rows.join("\n") + "\n");
  process.exit(0);
}
fs.mkdirSync(outDir, { recursive: true });
const prefix = kind === "avatars" ? "adventurer" : "facesjs";
for (let n = Number(first); n <= Number(last); n++) {
  const data = kind === "avatars" ? avatar(n) : face(n);
  fs.writeFileSync(path.join(outDir, `${prefix}_${String(n).padStart(5, "0")}.png`), data);
}
