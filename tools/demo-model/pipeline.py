"""The whole demo-model pipeline (what `make demo-model` runs):

  tokenizer -> train -> export GGUF -> check the export -> eval set -> Python eval

Every step is seeded. Training runs in two phases (70 + 12 minutes by
default); each stops at --steps or its time limit, whichever comes first (its
learning-rate schedule follows the same clock), and keeps a checkpoint every
3 minutes in WORK/ckpt.pt.
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
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--max-minutes", type=float, default=70)
    ap.add_argument("--phase2-minutes", type=float, default=12,
                    help="second phase: resume with fresh data at lr 1e-3 (0: skip)")
    ap.add_argument("--skip-train", action="store_true", help="export/eval WORK/ckpt.pt as it is")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    w = lambda f: os.path.join(a.work, f)
    if not a.skip_train:
        run("-c", "import tok; tok.train(%r)" % w("tokenizer.json"))
        run("train.py", "--work", a.work, "--threads", "1", "--steps", str(a.steps),
            "--max-minutes", str(a.max_minutes), "--tok-budget", "1536",
            "--config", json.dumps(MODEL_CONFIG))
        if a.phase2_minutes > 0:
            run("train.py", "--work", a.work, "--threads", "1", "--resume", "--seed", "1235",
                "--lr", "1e-3", "--warmup", "20", "--steps", str(a.steps),
                "--max-minutes", str(a.phase2_minutes), "--tok-budget", "1536",
                "--config", json.dumps(MODEL_CONFIG))
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
