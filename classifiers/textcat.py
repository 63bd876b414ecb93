"""The bag-of-words `textcat_multilabel` of the trained classifier: build, train, save, load.

The architecture is spaCy's TextCatBOW.v3 over lower-cased words instead of their spelling:
with a few hundred training posts, "Recommend" and "recommend" must share one weight. It is
registered under a versioned name, so a saved model names exactly the code that reads it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from spacy.attrs import LOWER
from spacy.ml.extract_ngrams import extract_ngrams
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.training import Example
from spacy.util import registry
from thinc.api import (
    Adam,
    Logistic,
    Model,
    SparseLinear_v2,
    chain,
    fix_random_seed,
    resizable,
    with_cpu,
)
from thinc.layers.resizable import resize_linear_weighted

ARCHITECTURE = "signals.TextCatBOWLower.v1"
PIPE = "textcat_multilabel"
NEG_VALUE = -5000  # spaCy's initial bias of a new label: "never", until trained


def bow_lower(
    ngram_size: int, length: int, binary: bool = True, nO: int | None = None
) -> Model[Any, Any]:
    """spaCy's TextCatBOW.v3 (multi-label, with output layer) over the LOWER attribute.

    `binary`: a word counts once however often it occurs, so a long post does not pile up
    the weight of its common words.
    """
    length = 2 ** (length - 1).bit_length()
    sparse = SparseLinear_v2(nO=nO, length=length)
    resizable_layer: Model[Any, Any] = resizable(
        sparse, resize_layer=partial(resize_linear_weighted, fill_defaults={"b": NEG_VALUE, "W": 0})
    )
    model: Model[Any, Any] = with_cpu(
        chain(_ngrams(ngram_size, binary), resizable_layer), sparse.ops
    )
    output = Logistic()
    model = chain(model, with_cpu(output, output.ops))
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse)
    model.attrs["multi_label"] = True
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model


registry.architectures.register(ARCHITECTURE, func=bow_lower)


def _ngrams(ngram_size: int, binary: bool) -> Model[Any, Any]:
    """spaCy's extract_ngrams over LOWER, with every count set to 1 when `binary`."""
    inner = extract_ngrams(ngram_size, attr=LOWER)
    if not binary:
        return inner

    def forward(model: Model[Any, Any], docs: Any, is_train: bool) -> Any:
        (keys, vals, lengths), backprop = inner(docs, is_train)
        return (keys, model.ops.xp.ones_like(vals), lengths), backprop

    return Model("binary_ngrams", forward, layers=[inner])


def add_textcat(
    nlp: Any, labels: Sequence[str], *, ngram_size: int, length: int, binary: bool = True
) -> Any:
    """Add the (untrained) bag-of-words textcat with these labels to nlp."""
    model = {
        "@architectures": ARCHITECTURE,
        "ngram_size": ngram_size,
        "length": length,
        "binary": binary,
    }
    pipe: Any = nlp.add_pipe(PIPE, config={"model": model, "threshold": 0.5})
    for label in labels:
        pipe.add_label(label)
    return pipe


def train_textcat(
    make_nlp: Callable[[], Any],
    texts: Sequence[str],
    cats: Sequence[dict[str, float]],
    labels: Sequence[str],
    *,
    seed: int,
    epochs: int,
    learn_rate: float,
    ngram_size: int = 1,
    length: int = 2**15,
    binary: bool = True,
    l2: float = 1e-6,
    batch_size: int = 16,
) -> Any:
    """A fresh nlp with the textcat trained on texts; the same seed and data give the same model."""
    fix_random_seed(seed)
    nlp = make_nlp()
    add_textcat(nlp, labels, ngram_size=ngram_size, length=length, binary=binary)
    examples = [
        Example.from_dict(doc, {"cats": c})
        for doc, c in zip(nlp.tokenizer.pipe(texts), cats, strict=True)
    ]
    nlp.initialize(lambda: examples)
    optimizer = Adam(learn_rate, L2=l2, L2_is_weight_decay=True, grad_clip=1.0)
    order = random.Random(seed)  # our own generator: nothing else can move it
    for _ in range(epochs):
        order.shuffle(examples)
        for i in range(0, len(examples), batch_size):
            nlp.update(examples[i : i + batch_size], sgd=optimizer, drop=0.0)
    return nlp


def predict(nlp: Any, texts: Iterable[str]) -> list[dict[str, float]]:
    """The textcat scores of each text."""
    return [dict(doc.cats) for doc in nlp.pipe(texts)]


def word_weights(nlp: Any, words: Iterable[str], label: str) -> dict[str, float]:
    """Each word's own log-odds contribution to `label`: the model scored on that word alone.

    A one-word document scores sigmoid(bias + w_word); an empty one sigmoid(bias). The
    difference of their logits is exactly the weight the model gives the word.
    """
    pipe: Any = nlp.get_pipe(PIPE)
    words = sorted(set(words))
    docs = [nlp.make_doc(""), *(nlp.make_doc(w) for w in words)]
    scores = pipe.predict(docs)
    column = list(pipe.labels).index(label)
    logits = [_logit(float(row[column])) for row in scores]
    return {w: logits[i + 1] - logits[0] for i, w in enumerate(words)}


def save(nlp: Any, directory: Path) -> None:
    """Write the textcat pipe (weights and labels) to directory."""
    nlp.get_pipe(PIPE).to_disk(directory)


def load(
    nlp: Any,
    directory: Path,
    labels: Sequence[str],
    *,
    ngram_size: int,
    length: int,
    binary: bool,
) -> None:
    """Add the saved textcat from directory to nlp."""
    pipe = add_textcat(nlp, labels, ngram_size=ngram_size, length=length, binary=binary)
    pipe.from_disk(directory)


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))
