#!/usr/bin/env python3
"""Judge every accepted output of the shared corpus with kubectl's own reader.

    tests/kubectl_corpus.py BIN [--corpus DIR] [--golden DIR] [--kubectl PATH] [--batch N] [-v]

For each file of `real/`, each offline `kubectl kustomize` build of
`kustomize/` and, with --golden, each `kubectl-*.in.*` case of that directory
without `.args`, BIN runs as `BIN --value V` on standard input. Every input
kubectl reads is then judged the way `../shared/tools/kubectl_oracle.py` judges one
pair (its functions are imported, so the rule is the same): with exit 0, the
objects kubectl reads from the output must be the input's, one for one, with
only the stamp added to each workload's pod template; an exit 2 on an input
kubectl reads is a refusal, counted as a failure too (reload-stamp must read
what kubectl reads). Inputs kubectl cannot read are skipped, as by the oracle.

kubectl is called once per batch of inputs and outputs (`-f` per file, with a
marker object between files to tell them apart), and once per file only for a
batch kubectl refuses. Last line: `kubectl-corpus: N ok, S skipped, R refused,
F failed`; exit 1 when R or F is not 0.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "shared", "tools")
VALUE = "20261124093000"
KEY = "reloaded-at"
MARKER = "reload-stamp-kubectl-corpus-marker"


def objects(stdout):
    objs, dec, i = [], json.JSONDecoder(), 0
    while True:
        while i < len(stdout) and stdout[i].isspace():
            i += 1
        if i >= len(stdout):
            return objs
        obj, i = dec.raw_decode(stdout, i)
        objs.append(obj)


def read_many(kubectl, paths, marker):
    """kubectl's objects for each of PATHS, or None when kubectl refuses the call."""
    cmd = [kubectl, "patch", "--local", "--type", "merge", "-p", "{}", "-o", "json"]
    for p in paths:
        cmd += ["-f", p, "-f", marker]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        return None
    per, cur = [], []
    for o in objects(p.stdout):
        meta = o.get("metadata") if isinstance(o, dict) else None
        if isinstance(meta, dict) and meta.get("name") == MARKER:
            per.append(cur)
            cur = []
        else:
            cur.append(o)
    return per if len(per) == len(paths) and not cur else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bin")
    ap.add_argument("--corpus", default=os.path.join(HERE, "..", "..", "shared", "corpus"))
    ap.add_argument("--golden", help="also judge this golden directory's kubectl-* inputs")
    ap.add_argument("--kubectl", default="kubectl")
    ap.add_argument("--tools", default=TOOLS, help="where kubectl_oracle.py is")
    ap.add_argument("--batch", type=int, default=60, help="inputs per kubectl call")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    sys.path.insert(0, a.tools)
    from kubectl_oracle import first_diff, is_workload, stamped  # noqa: E402

    if not shutil.which(a.kubectl):
        print("kubectl-corpus: skipped (no kubectl)")
        return 0
    bin_ = [os.path.abspath(a.bin), "--value", VALUE, "--quiet"]

    # (name, input bytes, exit code, output bytes)
    cases = []
    for dp, dn, fn in os.walk(os.path.join(a.corpus, "real")):
        dn.sort()
        for f in sorted(fn):
            if f.endswith((".yaml", ".yml", ".json")):
                path = os.path.join(dp, f)
                cases.append((os.path.relpath(path, a.corpus), open(path, "rb").read()))
    kroot = os.path.join(a.corpus, "kustomize")
    for d in sorted(dp for dp, _, fn in os.walk(kroot) if "kustomization.yaml" in fn):
        built = subprocess.run([a.kubectl, "kustomize", d], capture_output=True)
        if built.returncode == 0:
            cases.append((os.path.relpath(d, a.corpus) + " (kustomize build)", built.stdout))

    if a.golden:
        for f in sorted(os.listdir(a.golden)):
            name = f.split(".in.")[0]
            if f.startswith("kubectl-") and ".in." in f and not os.path.exists(os.path.join(a.golden, name + ".args")):
                cases.append((f"golden/{f}", open(os.path.join(a.golden, f), "rb").read()))

    ok, skipped, refused, failed = 0, [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "marker.yaml")
        with open(marker, "w") as m:
            m.write(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {MARKER}\n")
        runs = []
        for i, (name, src) in enumerate(cases):
            p = subprocess.run(bin_, input=src, capture_output=True, timeout=60)
            ext = ".json" if name.endswith(".json") else ".yaml"
            inp, out = os.path.join(tmp, f"{i}.in{ext}"), os.path.join(tmp, f"{i}.out{ext}")
            open(inp, "wb").write(src)
            open(out, "wb").write(p.stdout)
            runs.append((name, inp, out, p.returncode, p.stderr.decode(errors="replace").strip()))

        for start in range(0, len(runs), a.batch):
            batch = runs[start : start + a.batch]
            paths = [x for r in batch for x in (r[1], r[2] if r[3] == 0 else marker)]
            got = read_many(a.kubectl, paths, marker)
            if got is None:  # one file kubectl cannot read spoils the call: one by one
                got = []
                for path in paths:
                    one = read_many(a.kubectl, [path], marker)
                    got.append(one[0] if one is not None else None)
            for j, (name, _, _, code, err) in enumerate(batch):
                before, after = got[2 * j], got[2 * j + 1]
                if before is None:
                    skipped.append(name)
                    continue
                if code != 0:
                    refused.append(f"{name}: exit {code}: {err.splitlines()[0][:200] if err else ''}")
                    continue
                if after is None:
                    failed.append(f"{name}: kubectl reads the input but not the output")
                    continue
                problems = []
                if len(before) != len(after):
                    problems.append(f"object count changed: {len(before)} -> {len(after)}")
                for k, (b, o) in enumerate(zip(before, after)):
                    want = stamped(b, KEY, VALUE) if is_workload(b) else b
                    if o != want:
                        problems.append(f"object {k}: {first_diff(want, o)}")
                if problems:
                    failed.append(f"{name}: {'; '.join(problems[:3])[:300]}")
                else:
                    ok += 1

    for line in (refused + failed)[: (None if a.v else 25)]:
        print("  " + line)
    if a.v:
        for name in skipped:
            print(f"  skipped (kubectl cannot read the input): {name}")
    print(
        f"kubectl-corpus: {ok} ok, {len(skipped)} skipped, {len(refused)} refused, {len(failed)} failed"
    )
    return 1 if refused or failed else 0


if __name__ == "__main__":
    sys.exit(main())
