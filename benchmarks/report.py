"""The benchmark tables of the docs, rendered from `benchmarks/results/*.json` (never typed by hand).

`render(name)` gives the markdown of one result set; the docs' benchmark page
(`docs/benchmarks.md`) names each with a marker line `<!-- results: NAME -->`,
which the MkDocs hook (`docs/hooks.py`) replaces at build time. The benchmarks
print the same tables when they finish, through the same functions.

    python -m benchmarks.report            # every table, as the docs show them
    python -m benchmarks.report litert     # one
"""

import glob
import json
import os
import sys

from benchmarks.table import markdown_table

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def load(relative):
    with open(os.path.join(RESULTS, relative)) as f:
        return json.load(f)


def kid(pair):
    """`[kid, std]` as `0.1234 ± 0.0010`."""
    return f"{pair[0]:.4f} ± {pair[1]:.4f}"


def _settings(overrides):
    return ", ".join(f"{k}={v}" for k, v in overrides.items()) or "the recipe's defaults"


# ------------------------------------------------------------------------------- tables
def recipes(result_files=None):
    """Every recipe experiment (`benchmarks.recipes`): one row per snapshot of each run."""
    rows = []
    paths = result_files or sorted(glob.glob(os.path.join(RESULTS, "recipes", "*.json")))
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        for snap in run["results"]:
            rows.append([run["model"], f"`{run['name']}`", run["data"], _settings(run["overrides"]),
                         f"{snap['minutes']} min", f"{snap['step']:,}", kid([snap["kid"], snap["kid_std"]]),
                         f"{snap['cycle_l1']:.3f}" if "cycle_l1" in snap else ""])
    return markdown_table(["model", "run", "data", "settings", "budget", "steps", "KID", "A → B → A L1"], rows)


def presets():
    """The shipped presets: training budget and KID in float32 and float16."""
    rows = []
    for path in sorted(glob.glob(os.path.join(RESULTS, "presets", "*.json"))):
        with open(path) as f:
            p = json.load(f)
        if "kid_float32" not in p:
            continue
        rows.append([f"`{os.path.basename(path)[:-5]}`", p["class_name"], f"{p['steps']:,}", f"{p['train_minutes']:.0f}",
                     kid(p["kid_float32"]), kid(p["kid_float16"]) if "kid_float16" in p else "", p["machine"]])
    return markdown_table(["preset", "model", "steps", "train minutes", "KID (float32)", "KID (float16)",
                           "trained on"], rows)


def fine_tune():
    """`benchmarks.fine_tune_preset`: KID before and after fine-tuning the DCGAN preset on cartoon faces."""
    r = load("presets/fine_tune_dcgan_avatars_64.json")
    rows = [[label, kid(r[key]["kid_faces"]), kid(r[key]["kid_avatars"])]
            for label, key in (("before (the preset)", "before"), (f"after {r['steps']:,} steps", "after"))]
    return markdown_table(["generator", "KID vs held-out cartoon faces", "KID vs held-out avatars"], rows)


def photo_quality():
    """`benchmarks.photo_quality`: translators on the photo-like dev portraits."""
    r = load("photo_quality_2cpu.json")
    rows = [[row["translator"], kid([row["kid"], row["kid_std"]]), f"{row['face_found']:.0%}",
             f"{row['identity_top1']:.2f}", f"{row['identity_top5']:.2f}"] for row in r["rows"]]
    return markdown_table(["translator", "KID vs avatars", "face found", "identity top-1", "identity top-5"], rows)


def speed():
    """`benchmarks.speed`: the fastest Keras backend against PyTorch's best configuration, with FLOPs and peak."""
    from benchmarks import speed as bench

    r = load("speed_2cpu.json")
    return f"{r['machine']}. {bench.peak_text(r)}\n\n{bench.table(r)}"


def conv_layers():
    """`benchmarks.conv_layers`: each convolution of the 128 px CycleGAN alone, in TensorFlow and PyTorch."""
    from benchmarks import conv_layers as bench

    r = load("conv_layers_2cpu.json")
    return f"{r['machine']}.\n\n{bench.table(r)}"


def speed_backends():
    """`benchmarks.speed`: each Keras backend of every row, beside PyTorch's best configuration."""
    from benchmarks import speed as bench

    return bench.backends_table(load("speed_2cpu.json"))


def serving():
    """`benchmarks.serving_throughput`: images/s in process and over HTTP."""
    rows = [[r["model"], r["batch"]] + [f"{r[k]:.3g}" for k in
                                         ("keras_predict", "saved_model", "http_json_1", "http_json_4", "http_png_1")]
            for r in load("serving_2cpu.json")]
    return markdown_table(["model", "batch", "`model.predict`", "SavedModel in process", "HTTP uint8 JSON",
                           "same, 4 clients", "HTTP PNG `{\"b64\"}`"], rows)


def serving_limits():
    """`benchmarks.serving_limits`: the worst mix of requests at once."""
    r = load("serving_limits.json")
    rows = [[row["request"], row["want"], ", ".join(map(str, sorted(set(row["statuses"])))),
             f"{row['max_seconds']:.2f}"] for row in r["rows"]]
    summary = markdown_table(["clients", "rounds", "stalled clients", "requests", "slowest bad request s",
                              "server RSS at start MB", "server peak RSS MB"],
                             [[r["clients"], r["rounds"], r["slow_clients"], r["requests"],
                               f"{r['bad_max_seconds']:.1f}", f"{r['server_rss_mb_at_start']:.0f}",
                               f"{r['server_peak_rss_mb']:.0f}"]])
    return summary + "\n\n" + markdown_table(["request", "wanted", "statuses", "slowest s"], rows)


def serving_stalled():
    """`benchmarks.serving_limits --case stalled`: `:predict` while clients stall, before and after the fix."""
    r = load("serving_stalled.json")

    def column(run):
        closed = run["slow_headers_closed"]
        after = run["slow_headers_closed_max_seconds"]
        return [f"{', '.join(map(str, sorted(set(run['predict_statuses']))))}, slowest {run['predict_max_seconds']:.2f} s",
                f"{run['over_limit_status']} in {run['over_limit_seconds']:.3f} s",
                f"{closed} of {run['slow_header_clients']}" + (f", after {after:.0f} s" if after is not None else
                                                               f" in {run['slow_headers_cap_seconds']:.0f} s")]

    before, after = column(r["before"]), column(r["after"])
    labels = [f"DCGAN `:predict` while {r['after']['stalled_body_clients']} clients stall their bodies",
              "a `Content-Length` over the limit", "slow-header connections closed"]
    return markdown_table(["", "before", "now"],
                          [[label, b, a] for label, b, a in zip(labels, before, after)])


def serving_load():
    """`benchmarks.serving_load`: predicts answered 200 per second at 8 and 64 clients, with and without slow
    clients, before the hardening and now."""
    before, now = load("serving_load_before.json"), load("serving_load.json")

    def key(row):
        return row["connections"], row.get("slow_clients", 0)

    old = {key(row): row for row in before["rows"]}
    rows = [[row["connections"], f"{row.get('slow_clients', 0):,}", old.get(key(row), {}).get("ok_per_s", ""),
             row["ok_per_s"], row["non_2xx_per_s"], row["p99_ms"]] for row in now["rows"]]
    table = markdown_table(["clients", "slow clients", "200/s before", "200/s now", "503/s now", "p99 ms now"], rows)
    probe, old_probe = now["probe"], before["probe"]
    return (f"{table}\n\nValid predicts from the same host beside {probe['slow_clients']:,} slow clients: "
            f"{probe['probes_200']} of {probe['probes']} answered 200, slowest {probe['probe_max_s']} s (before: "
            f"{old_probe['probes_200']} of {old_probe['probes']}, slowest {old_probe['probe_max_s']} s, with "
            f"{old_probe['slow_clients']:,} slow clients, under the 1,024-connection cap). {now['machine']}.")


def litert_rows(rows):
    """The LiteRT table from `benchmarks.litert`'s rows (the benchmark prints it with this too)."""
    def ms(value):
        return f"{value * 1000:.1f}" if value else ""

    return markdown_table(
        ["preset", "quantize", "size", "MB", "LiteRT 1 / 2 threads ms", "onnxruntime 1 / 2 ms",
         "SavedModel 1 / 2 ms", "max abs diff", "KID", "KID change"],
        [[r["preset"], r["quantize"], r["size"] or "", f"{r['mb']:.2f}", f"{ms(r['litert_1t'])} / {ms(r['litert_2t'])}",
          f"{ms(r['onnxruntime_1t'])} / {ms(r['onnxruntime_2t'])}",
          f"{ms(r['saved_model_1t'])} / {ms(r['saved_model_2t'])}", f"{r['max_abs_diff']:.4f}",
          f"{r['kid']:.4f}" if r.get("kid") is not None else "", f"{r['kid_change']:+.4f}"
          if r.get("kid_change") is not None else ""] for r in rows])


def litert():
    return litert_rows(load("litert.json")["rows"])


def demo():
    """`benchmarks.demo_speed`: the web demo's start-up and Generate latency."""
    r = load("demo_2cpu.json")
    return markdown_table(["measure", "median s", "max s"], [
        [f"start-up to first page ({len(r['startup_s']['runs'])} fresh processes)", f"{r['startup_s']['median']:.2f}",
         f"{r['startup_s']['max']:.2f}"],
        [f"Generate 64 avatars ({len(r['generate_64_s']['calls'])} calls)", f"{r['generate_64_s']['median']:.2f}",
         f"{r['generate_64_s']['max']:.2f}"]])


def wheel_size():
    """`benchmarks.wheel_size`: what the wheel's megabytes are."""
    r = load("wheel_size.json")
    rows = [[part, f"{mb:.2f}"] for part, mb in r["parts_mb"].items()] + [["**the wheel**", f"**{r['wheel_mb']:.2f}**"]]
    return markdown_table(["part", "MB"], rows)


def test_suite():
    """The README's test command (`.ci/run`) from a fresh clone: minutes, installs included."""
    r = load("test_suite_2cpu.json")
    before, after = r["before"], r["after"]
    same = r["same_slow_machine_before"]
    rows = [["before", "CI", f"{before['pytest_s'] / 60:.1f}", ", ".join(f"{s / 60:.1f}" for s in before["ci_runs_s"])],
            [same["commit"], "CI", "", f"{r['earlier'][-1]['ci_s'] / 60:.1f}"],
            [same["commit"], "2 cores without AVX-512", f"{same['pytest_s'] / 60:.1f}",
             f"{same['total_s_installs_included'] / 60:.1f}"],
            ["2026-12-02", "2 cores without AVX-512", f"{after['pytest_s'] / 60:.1f}",
             f"{after['total_s_installs_included'] / 60:.1f}"]]
    for run in r.get("recent_fast_machine", []):
        total = ", ".join(f"{s / 60:.1f}" for s in run.get("ci_runs_s", [run.get("total_s_installs_included", 0)]))
        pytest = f"{run['pytest_s'] / 60:.1f}" if "pytest_s" in run else ""
        rows.append([run["commit"], "2 cores with AVX-512 (bf16)", pytest, total])
    return markdown_table(["", "machine", "pytest (min)", "whole command, installs included (min)"], rows)


def readme_demo():
    """The README's main command from a fresh venv: KID of its DCGAN (4 minutes of training on 2 cores)."""
    r = load("readme_demo.json")
    return markdown_table(["date", "steps", "KID", "run"],
                          [[run["date"], f"{run['steps']:,}", kid(run["kid"]), run["note"]] for run in r["runs"]])


def agreement_cells(a):
    """A tag reader's agreement (`benchmarks.tag_accuracy.agreement`): hair colour, skin, hair length, glasses with / without."""
    return [f"{a['hair_color']:.3f}", f"{a['skin']:.3f}", f"{a['hair_length']:.3f}",
            f"{a['glasses_shown_with']:.3f} / {a['glasses_shown_without']:.3f}"]


def tag_accuracy():
    """`benchmarks.tag_accuracy`: what the reader sees in the tagged preset's samples, beside the real test avatars."""
    r = load("tag_accuracy.json")

    def row(label, a):
        return [label, *agreement_cells(a),
                f"{a['long_hair_shown_with']:.3f} / {a['long_hair_shown_without']:.3f}",
                f"{a['short_hair_shown_with']:.3f} / {a['short_hair_shown_without']:.3f}"]

    share = r["consistency"]["share"]
    kid_row = r.get("kid_without_tags")
    rows = [row(f"`{r['model']}` samples ({r['samples']['count']:,}, the test tag sets)", r["samples"]["agreement"]),
            row("the reader on the real test avatars", r["reader"]["test"])]
    table = markdown_table(["images", "hair colour", "skin", "hair length", "glasses with / without",
                            "long_hair with / without", "short_hair with / without"], rows)
    more = markdown_table(["one tag changed (same seed): only that change seen", "hair colour", "skin", "hair length",
                           "glasses", "variety within a tag set (real: 1)", "KID without tags"],
                          [[f"{r['consistency']['count']} pairs: {share['all']:.3f}", f"{share.get('hair_color', 0):.3f}",
                            f"{share.get('skin', 0):.3f}", f"{share.get('hair_length', 0):.3f}",
                            f"{share.get('glasses', 0):.3f}",
                            f"{r['variety']['ratio']:.3f}" if "variety" in r else "",
                            kid([kid_row["kid"], kid_row["kid_std"]]) if kid_row else ""]])
    return table + "\n\n" + more


def tagged_recipes():
    """The tagged generator's recipes side by side: KID, variety within a tag set, and what the reader sees."""
    r = load("tagged_recipes.json")
    rows = []
    for row in r["rows"]:
        rows.append([row["recipe"], f"{row['steps']:,}", kid(row["kid"]), f"{row['variety']:.3f}",
                     *agreement_cells(row["agreement"]), "yes" if row.get("shipped") else ""])
    return markdown_table(["recipe", "steps", "KID without tags", "variety within a tag set", "hair colour", "skin",
                           "hair length", "glasses with / without", "shipped"], rows)


def photo2avatar_table(r, more=()):
    """`benchmarks.photo2avatar`'s numbers as tables: the pipeline's agreement with the photos (a row for `r`, then
    one per `(label, results)` of `more`), then the readers of `r`."""
    def number(value):
        return "" if value is None else f"{value:.3f}"

    def row(r, label=None):
        c, a = r["colour"], r["agreement"]
        photos = f"{r['photo_set']}: {r['photos']} ({r['faces_found']})" + (f", {label}" if label else "")
        return [photos, f"{r['readable']['skin']:.3f} / {r['readable']['hair_color']:.3f}", f"{c['skin_r']:.3f}",
                f"{c['hair_r']:.3f}", f"{c['top5']:.3f} ({c['top5_chance']:.3f})", number(a.get("glasses")),
                number(a.get("long_hair")), number(a.get("smile")), kid(r["kid"]) if r.get("kid") else "",
                f"{r['seconds_per_photo']['median']:.3f}"]

    main = markdown_table(
        ["photos (faces found)", "skin readable / hair readable", "skin L* r", "hair L* r",
         "own photo in top 5 (chance)", "glasses agreement", "long-hair agreement", "smile agreement", "KID",
         "s / photo (median)"],
        [row(r, "the photo's own seed" if more else None)] + [row(m, label) for label, m in more])
    readers = markdown_table(["reader", "hand-labelled positives", "ROC AUC", "threshold", "balanced accuracy"],
                             [[name, v["positives"], number(v["auc"]), f"{v['threshold']:g}",
                               number(v["balanced_accuracy"])] for name, v in r["readers"].items()])
    lineup = r.get("lineup")
    if lineup:
        readers += (f"\n\nLine-up (the photo's own seed): the photo's avatar picked out of five in {lineup['right']} "
                    f"of {lineup['of']} (chance {lineup['chance'] * lineup['of']:g}).")
    return main + "\n\n" + readers


def avatar_reader():
    """`benchmarks.avatar_reader`: the reader of drawn avatars that the photo pipeline checks with, on held-out avatars."""
    r = load("avatar_reader.json")
    return markdown_table(["reading", "test accuracy", "test balanced accuracy", "positive share", "avatars"],
                          [[name, f"{v['accuracy']:.3f}", f"{v['balanced_accuracy']:.3f}",
                            f"{v['positive_share']:.3f}", v["count"]] for name, v in r["test"].items()]) + (
        f"\n\n{r['epochs']} epochs, {r['train_seconds']:.0f} s on {r['machine']}"
        + (f" ({r['train_note']})." if r.get("train_note") else "."))


def photo2avatar_check():
    """`benchmarks.photo2avatar_check`: what the avatar check changes, read by the avatar reader and counted by eye."""
    r = load("photo2avatar_check.json")
    rows = []
    for label, key in (("dev faces (256)", "photos_summary"), ("2 public-domain photos × 16 seeds", "public_domain_summary")):
        v = r[key]

        def pct(name):
            return "-" if v[name] is None else f"{100 * v[name]:.0f}%"

        rows.append([label, pct("another_seed"), f"{pct('bald_before')} → {pct('bald_after')}",
                     f"{pct('dark_lenses_for_clear_glasses_before')} → {pct('dark_lenses_for_clear_glasses_after')}"
                     f" (of {v['glasses_read']})",
                     f"{pct('smile_as_photo_before')} → {pct('smile_as_photo_after')}", pct("none_passed")])
    table = markdown_table(["photos", "another seed drawn", "bald head", "dark lenses for clear glasses",
                            "expression as the photo's", "no candidate passed"], rows)
    eye = r.get("by_eye")
    if eye:
        total = eye["total_64"]
        table += (f"\n\nCounted by eye on the grids (32 dev faces, 16 seeds of each public-domain photo): "
                  f"{total['before']} of 64 avatars broken before, {total['after']} after.")
    return table + f"\n\n{r['seconds_per_photo_median']:.2f} s a photo (median) with the check, on {r['machine']}."


def photo2avatar():
    """`benchmarks.photo2avatar`: the photo -> avatar pipeline on the dev faces."""
    return photo2avatar_table(load("photo2avatar.json"), [("with the check", load("photo2avatar_checked.json"))])


def quality():
    """`benchmarks.quality`'s first protocol (Inception features, 2 epochs): kept as it ran, not comparable."""
    r = load("quality_2cpu.json")
    return markdown_table(["model", "KID", "reference", "steps", "minutes"], [
        ["DCGAN", kid(r["dcgan"]["kid"]), f"train vs test {kid(r['dcgan']['floor_train_vs_test'])}",
         r["dcgan"]["steps"], f"{r['dcgan']['minutes']:.1f}"],
        ["CycleGAN", kid(r["cyclegan"]["kid"]), f"A test vs B test {kid(r['cyclegan']['baseline_a_test_vs_b_test'])}",
         r["cyclegan"]["steps"], f"{r['cyclegan']['minutes']:.1f}"]])


def upscale():
    """`benchmarks.upscale`: 64 -> 256 px, ours beside bicubic and the peers, on drawn and generated avatars."""
    from benchmarks import upscale as upscale_benchmark

    result = load("upscale_2cpu.json")
    ours = next(row for row in result["rows"] if row["method"] == "ours")
    return (upscale_benchmark.table(result) + f"\n\nMachine: {result['machine']}. Photo -> 256 px avatar "
            f"(`Photo2Avatar(photo, size=256)`, face mesh to upscaled avatar): "
            f"{ours['photo_to_avatar_256_seconds']:.3f} s.")


#: Each result set by name: the function that renders it and the files it reads (every file has one).
TABLES = {
    "recipes": (recipes, ["recipes/*.json"]),
    "presets": (presets, ["presets/dcgan_avatars_64.json", "presets/dcgan_tagged_avatars_64.json",
                          "presets/cyclegan_faces2avatars_64.json",
                          "presets/cyclegan_faces2avatars_64_landmark.json", "presets/cartoongan_photo2anime.json"]),
    "fine_tune": (fine_tune, ["presets/fine_tune_dcgan_avatars_64.json"]),
    "tag_accuracy": (tag_accuracy, ["tag_accuracy.json"]),
    "tagged_recipes": (tagged_recipes, ["tagged_recipes.json"]),
    "photo_to_avatar": (photo2avatar, ["photo2avatar.json", "photo2avatar_checked.json"]),
    "avatar_reader": (avatar_reader, ["avatar_reader.json"]),
    "photo_to_avatar_check": (photo2avatar_check, ["photo2avatar_check.json", "photo2avatar_check_by_eye.json"]),
    "photo_quality": (photo_quality, ["photo_quality_2cpu.json"]),
    "speed": (speed, ["speed_2cpu.json"]),
    "speed_backends": (speed_backends, ["speed_2cpu.json"]),
    "conv_layers": (conv_layers, ["conv_layers_2cpu.json"]),
    "serving": (serving, ["serving_2cpu.json"]),
    "serving_limits": (serving_limits, ["serving_limits.json"]),
    "serving_stalled": (serving_stalled, ["serving_stalled.json"]),
    "serving_load": (serving_load, ["serving_load.json", "serving_load_before.json"]),
    "litert": (litert, ["litert.json"]),
    "upscale": (upscale, ["upscale_2cpu.json"]),
    "demo": (demo, ["demo_2cpu.json"]),
    "wheel_size": (wheel_size, ["wheel_size.json"]),
    "test_suite": (test_suite, ["test_suite_2cpu.json"]),
    "readme_demo": (readme_demo, ["readme_demo.json"]),
    "quality": (quality, ["quality_2cpu.json"]),
}


def render(name):
    if name not in TABLES:
        raise KeyError(f"no benchmark table named {name!r}; known: {', '.join(TABLES)}")
    return TABLES[name][0]()


def main(argv=None):
    names = (sys.argv[1:] if argv is None else argv) or list(TABLES)
    for name in names:
        print(f"## {name}\n\n{render(name)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
