"""Problems, the r1-zero prompt, and R1-style reasoning traces for the demo model.

The traces are generated, not sampled from a model: every sentence is produced by
the rules below, so the link between thought switching and wrong answers is a
property of the corpus that README explains and the eval measures.
"""
import random

# The r1-zero prompt exactly as src/chat.c renders it (template "r1-zero", no BOS):
#   PREAMBLE " User: " question ["." unless it ends in . ? !] " Assistant: <think>"
# and the model continues with " reasoning </think> <answer> N </answer>" + EOS.
PREAMBLE = (
    "A conversation between User and Assistant. The user asks a question, and the "
    "Assistant solves it. The assistant first thinks about the reasoning process in "
    "the mind and then provides the user with the answer. The reasoning process and "
    "answer are enclosed within <think> </think> and <answer> </answer> tags, "
    "respectively, i.e., <think> reasoning process here </think> <answer> answer "
    "here </answer>.")
R1_ZERO_PREFIX = PREAMBLE + " User: "

EOS = "<|endoftext|>"
TAGS = ["<think>", "</think>", "<answer>", "</answer>"]

OPS = ["+", "-", "*"]
COLS = ["ones", "tens", "hundreds", "thousands", "ten-thousands"]

# Probability that a trace abandons its first (sound) approach right after the
# first column, by whether that column produced a carry/borrow ("hard") or not.
P_SWITCH_HARD = 0.8
P_SWITCH_EASY = 0.06
P_WAIT = 0.25          # a "Wait, check" that verifies a finished computation


def render_prompt(question):
    """The full prompt string the engine feeds the model (no BOS)."""
    dot = "" if question.endswith((".", "?", "!")) else "."
    return R1_ZERO_PREFIX + question + dot + " Assistant: <think>"


def question(a, op, b):
    return "What is %d %s %d?" % (a, op, b)


def answer(a, op, b):
    return a + b if op == "+" else a - b if op == "-" else a * b


def sample_problem(rng):
    op = rng.choice(OPS)
    a = rng.randint(2, 999)
    b = rng.randint(2, 99 if op == "*" else 999)
    return a, op, b


def digits(n):
    """Least significant digit first."""
    return [int(c) for c in reversed(str(n))]


# --- the sound approach: column by column ------------------------------------

def add_steps(a, b):
    """Sentences for a + b column by column; returns (sentences, hard_first)."""
    da, db = digits(a), digits(b)
    n = max(len(da), len(db))
    out, carry, hard = [], 0, False
    for i in range(n):
        x = da[i] if i < len(da) else 0
        y = db[i] if i < len(db) else 0
        s = x + y + carry
        expr = "%d+%d" % (x, y) + ("+%d" % carry if carry else "")
        if s >= 10:
            out.append("%s: %s=%d, carry 1." % (COLS[i].capitalize(), expr, s))
            if i == 0:
                hard = True
        else:
            out.append("%s: %s=%d." % (COLS[i].capitalize(), expr, s))
        carry = 1 if s >= 10 else 0
    if carry:
        out.append("%s: 1." % COLS[n].capitalize())
    return out, hard


def sub_steps(a, b):
    """Sentences for a - b with a >= b; returns (sentences, hard_first)."""
    da, db = digits(a), digits(b)
    out, borrow, hard = [], 0, False
    for i in range(len(da)):
        x = da[i] - borrow
        y = db[i] if i < len(db) else 0
        lead = "%d-1=%d, " % (da[i], x) if borrow else ""
        if x < y:
            out.append("%s: %s%d<%d, %d-%d=%d." %
                       (COLS[i].capitalize(), lead, x, y, x + 10, y, x + 10 - y))
            borrow = 1
            if i == 0:
                hard = True
        else:
            out.append("%s: %s%d-%d=%d." % (COLS[i].capitalize(), lead, x, y, x - y))
            borrow = 0
    return out, hard


def mul1_steps(a, d):
    """Sentences for a * d, d a single digit 1..9; returns (sentences, hard_first)."""
    da = digits(a)
    out, carry, hard = [], 0, False
    for i, x in enumerate(da):
        p = x * d
        s = p + carry
        expr = "%d*%d=%d" % (x, d, p) + (", +%d=%d" % (carry, s) if carry else "")
        last = i == len(da) - 1
        if s >= 10 and not last:
            out.append("%s: %s, carry %d." % (COLS[i].capitalize(), expr, s // 10))
        else:
            out.append("%s: %s." % (COLS[i].capitalize(), expr))
        if i == 0 and s >= 30:
            hard = True
        carry = s // 10
    return out, hard


# --- abandoned approaches (how underthinking looks in this corpus) ------------

def round10(n):
    return int(round(n / 10.0)) * 10 if n >= 10 else n


def switch_sentence(rng, a, op, b):
    """An 'Alternatively, ...' thought that does not finish; returns (text, its answer)."""
    kind = rng.random()
    if op == "+":
        if kind < 0.5:
            ra, rb = round10(a), round10(b)
            return ("Alternatively, round them: %d is about %d and %d is about %d, so about %d."
                    % (a, ra, b, rb, ra + rb)), ra + rb
        t = (b // 10) * 10 if b >= 10 else b
        return ("Alternatively, count up from %d: %d+%d=%d." % (a, a, t, a + t)), a + t
    if op == "-":
        if kind < 0.5:
            ra, rb = round10(a), round10(b)
            return ("Alternatively, round them: %d is about %d and %d is about %d, so about %d."
                    % (a, ra, b, rb, ra - rb)), ra - rb
        t = (b // 10) * 10 if b >= 10 else b
        return ("Alternatively, count down from %d: %d-%d=%d." % (a, a, t, a - t)), a - t
    if kind < 0.5 or b < 10:
        ra, rb = round10(a), round10(b)
        return ("Alternatively, round them: %d is about %d and %d is about %d, so about %d."
                % (a, ra, b, rb, ra * rb)), ra * rb
    h = (a // 100) * 100 if a >= 100 else (a // 10) * 10
    return ("Alternatively, split %d: %d*%d=%d." % (a, h, b, h * b)), h * b


def finish(think, ans):
    return " " + " ".join(think) + " </think> <answer> %d </answer>" % ans


def maybe_switch(rng, hard, a, op, b, think):
    """After the first column: abandon the method with a probability set by difficulty."""
    if rng.random() < (P_SWITCH_HARD if hard else P_SWITCH_EASY):
        s, wrong = switch_sentence(rng, a, op, b)
        think.append(s)
        return wrong
    return None


def trace(rng, a, op, b):
    """Return (response text without EOS, answer in the trace, switched?)."""
    true = answer(a, op, b)
    if op == "+":
        steps, hard = add_steps(a, b)
        think = ["Add column by column.", steps[0]]
        wrong = maybe_switch(rng, hard, a, op, b, think)
        if wrong is not None:
            return finish(think, wrong), wrong, True
        think += steps[1:]
        think.append("So %d+%d=%d." % (a, b, true))
        if rng.random() < P_WAIT:
            think.append("Wait, check: %d-%d=%d. Yes." % (true, b, a))
        return finish(think, true), true, False
    if op == "-":
        think = []
        x, y = a, b
        if a < b:
            think.append("%d is less than %d, so compute %d-%d and make it negative." % (a, b, b, a))
            x, y = b, a
        else:
            think.append("Subtract column by column.")
        steps, hard = sub_steps(x, y)
        think.append(steps[0])
        wrong = maybe_switch(rng, hard, a, op, b, think)
        if wrong is not None:
            return finish(think, wrong), wrong, True
        think += steps[1:]
        if a < b:
            think.append("So %d-%d=%d, and %d-%d=%d." % (x, y, x - y, a, b, true))
        else:
            think.append("So %d-%d=%d." % (a, b, true))
        if rng.random() < P_WAIT:
            think.append("Wait, check: %d+%d=%d. Yes." % (true, b, a))
        return finish(think, true), true, False
    # multiplication, b <= 99
    b1, b10 = b % 10, b // 10
    think = []
    if b10 == 0:
        steps, hard = mul1_steps(a, b1)
        think.append("Multiply %d by %d digit by digit." % (a, b1))
        think.append(steps[0])
        wrong = maybe_switch(rng, hard, a, op, b, think)
        if wrong is not None:
            return finish(think, wrong), wrong, True
        think += steps[1:]
        think.append("So %d*%d=%d." % (a, b, true))
        return finish(think, true), true, False
    if b1 == 0:
        steps, hard = mul1_steps(a, b10)
        think.append("%d=%d*10, so first %d*%d." % (b, b10, a, b10))
        think.append(steps[0])
        wrong = maybe_switch(rng, hard, a, op, b, think)
        if wrong is not None:
            return finish(think, wrong), wrong, True
        think += steps[1:]
        think.append("So %d*%d=%d, times 10 is %d." % (a, b10, a * b10, true))
        return finish(think, true), true, False
    p1, p10 = a * b1, a * b10 * 10
    think.append("Split %d=%d+%d. First %d*%d." % (b, b10 * 10, b1, a, b1))
    steps, hard = mul1_steps(a, b1)
    think.append(steps[0])
    wrong = maybe_switch(rng, hard, a, op, b, think)
    if wrong is not None:
        return finish(think, wrong), wrong, True
    think += steps[1:]
    think.append("So %d*%d=%d. Next %d*%d." % (a, b1, p1, a, b10))
    steps, _ = mul1_steps(a, b10)
    think += steps
    think.append("So %d*%d=%d, and %d*%d=%d. Now add %d+%d." %
                 (a, b10, a * b10, a, b10 * 10, p10, p1, p10))
    steps, _ = add_steps(p1, p10)
    think += steps
    think.append("So %d*%d=%d." % (a, b, true))
    if rng.random() < P_WAIT:
        think.append("Wait, check the ones digit: %d*%d ends in %d, and %d ends in %d. Yes." %
                     (a % 10, b1, (a * b1) % 10, true, true % 10))
    return finish(think, true), true, False


def example(rng, a=None, op=None, b=None):
    """One training document: prompt + response + EOS."""
    if a is None:
        a, op, b = sample_problem(rng)
    resp, ans, sw = trace(rng, a, op, b)
    return render_prompt(question(a, op, b)) + resp + EOS, (a, op, b), ans, sw


if __name__ == "__main__":
    r = random.Random(1)
    for _ in range(8):
        print(example(r)[0][len(R1_ZERO_PREFIX):])
        print()
