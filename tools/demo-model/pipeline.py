"""The whole demo-model pipeline (what `make demo-model` runs):

  tokenizer -> train -> export GGUF -> check the export -> eval set -> Python eval

Every step is seeded and training is reproducible step for step: two phases
of a fixed number of steps (6600 from scratch, then 1100 resumed on fresh
data), each with its learning rate following the step count only (warmup,
then cosine). The defaults take about 65 minutes at the ~2 steps/s one
core of the shared 2-core build machine gave under load (49 minutes for the
committed model). Each phase also has a generous wall-clock safety stop
(--max-minutes, --phase2-max-minutes) that ends it early with a warning; a
checkpoint is kept every 3 minutes in WORK/ckpt.pt.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The configuration of the committed model (see README).
MODEL_CONFIG = {"d": 96, "q_lora": 48, "kv_lora": 48, "qk_nope": 16, "qk_rope": 16,
                "v_head": 24, "ff_dense": 256, "ff_exp": 96}


def run(*args):
    print("+", " ".join(args), flush=True)
    subprocess.check_call([sys.executable] + list(args), cwd=HERE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", default=os.path.join(ROOT, "share/ponder/models/ponder-demo.gguf"))
    ap.add_argument("--eval-out", default=os.path.join(ROOT, "share/ponder/eval/arith-300.jsonl"))
    ap.add_argument("--steps", type=int, default=6600, help="phase 1 steps (lr 3e-3)")
    ap.add_argument("--phase2-steps", type=int, default=1100,
                    help="second phase: resume with fresh data at lr 1e-3 (0: skip)")
    ap.add_argument("--max-minutes", type=float, default=75,
                    help="phase 1 safety stop (warns; the run is then not reproducible)")
    ap.add_argument("--phase2-max-minutes", type=float, default=15,
                    help="phase 2 safety stop")
    ap.add_argument("--skip-train", action="store_true", help="export/eval WORK/ckpt.pt as it is")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    w = lambda f: os.path.join(a.work, f)
    if not a.skip_train:
        if os.path.exists(w("train.log")):
            os.remove(w("train.log"))
        run("-c", "import tok; tok.train(%r)" % w("tokenizer.json"))
        run("train.py", "--work", a.work, "--threads", "1", "--steps", str(a.steps),
            "--max-minutes", str(a.max_minutes), "--tok-budget", "1536",
            "--config", json.dumps(MODEL_CONFIG))
        if a.phase2_steps > 0:
            run("train.py", "--work", a.work, "--threads", "1", "--resume", "--seed", "1235",
                "--lr", "1e-3", "--warmup", "20", "--steps", str(a.phase2_steps),
                "--max-minutes", str(a.phase2_max_minutes), "--tok-budget", "1536",
                "--config", json.dumps(MODEL_CONFIG))
    with open(w("train.log")) as f:
        for line in f:
            if line.startswith("WARNING"):
                print(line.rstrip(), flush=True)
    run("export_gguf.py", "--ckpt", w("ckpt.pt"), "--tokenizer", w("tokenizer.json"),
        "--out", a.out, "--description",
        "ponder demo model: tiny DeepSeek-V3 (MLA + MoE) trained on generated arithmetic "
        "traces; see tools/demo-model/README")
    run("check_gguf.py", "--ckpt", w("ckpt.pt"), "--gguf", a.out)
    run("make_eval.py", "--n", "300", "--seed", "20260", "--out", a.eval_out,
        "--train-problems", w("train-problems.txt"))
    run("evaluate.py", "--ckpt", w("ckpt.pt"), "--tokenizer", w("tokenizer.json"),
        "--set", a.eval_out, "--tip", "0:0,3:600", "--traces", w("eval"))


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    main()
