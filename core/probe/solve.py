"""The linear probe, solved: a multinomial logistic regression on frozen embeddings whose
regularisation is chosen by cross-validation on the labelled samples, then refit on all of them.

    result = solve_head(x, y, classes)     # x: standardised embeddings [N, D], y: class per row
    result.weight, result.bias             # the head, [D, K] and [K]
    result.estimate                        # cross-validated accuracy (None: too few to validate)

Small data spends no samples on a fixed validation split: below LARGE samples in its smallest
class, the regularisation is chosen by k-fold cross-validation and the reported accuracy is the
cross-validated one; above it a held-out split is big enough to judge by and much cheaper.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch

from core.probe.crossval import Choice, choose_strength, fold_count
from core.probe.logistic import Reduced, Solution, fit, reduce

LARGE = 300  # samples in the smallest class from which a held-out validation split decides
# Large data: column sets and strengths are compared on models fit on this many training rows a
# class (judged on the whole validation split), in float32; only the chosen one is fit on every
# training row. On 5,000 pictures this took the choice from 280 s to 21 s of CPU time, and the
# model it chose scored as well on the validation split (0.632 against 0.622; bench/bench_embed.py).
CHOICE_PER_CLASS = 100
LARGE_STRENGTHS = (0.01, 0.1, 1.0, 10.0)
# The chosen one is then fit on every training row in the span of those picked rows too (each
# L-BFGS step reads 4,500 x 1,000 numbers instead of 4,500 x 3,376) where that span is much narrower
# than the columns and holds at least SPAN_ENERGY of every row's energy, i.e. nearly nothing a head
# could use lies outside it. Real embeddings are like that (the 5,000 pictures' multi-level
# features: 99.5%; on 4 re-splits the held-out accuracy was the same, 0.5595 against 0.5590, at
# half the CPU time); features with no such structure are not (random ones: 33%, and 8 points lost
# in the span), and are fit in their columns as before.
SPAN_NARROWER = 0.6
SPAN_ENERGY = 0.99
DEFAULT_STRENGTH = 1.0  # where nothing can be validated (a class with one example): scikit-learn's C
# Columns that are zero in every row (a bag of words: the vocabulary's tokens no text of the project
# holds) get no weight from an L2-penalised fit; where they are most of the columns the head is
# solved on the others only. The tfidf backbone on 1,000 texts: 30,522 columns of which a few
# thousand are used; solving on all of them took 27 s and 960 MB more memory (float64 copy and SVD).
LIVE_BELOW = 0.5


@dataclass
class HeadResult:
    weight: torch.Tensor  # [D, K]
    bias: torch.Tensor  # [K]
    strength: float
    estimate: float | None  # accuracy on samples the deciding models had not seen
    estimate_loss: float | None
    how: str  # "5-fold cross-validation", "the validation split", "none"
    train_acc: float
    scores: dict = field(default_factory=dict)  # strength -> (accuracy, log loss)
    held_out: np.ndarray | None = None  # [N, K] each validated row's probabilities from a model without it
    features: str | None = None  # the column set chosen (solve_head's ``column_sets``)
    feature_scores: dict = field(default_factory=dict)  # column set -> its estimate (None: not validated)
    compared: str = "cross-validated"  # how feature_scores were measured
    solved_in: int | None = None  # large data: the width of the span the final head was fit in (None: its columns)
    members: list | None = None  # solve_blocks: each block's own HeadResult (its features and strength)


def balanced_weights(y: np.ndarray, classes: int) -> np.ndarray:
    """Per-row weights making every class weigh the same in total (scikit-learn's 'balanced')."""
    counts = np.bincount(y, minlength=classes).astype(np.float64)
    present = counts > 0
    w = np.zeros(classes)
    w[present] = len(y) / (present.sum() * counts[present])
    return w[y]


def solve_head(x: torch.Tensor, y: np.ndarray, classes: int, *, holdout: np.ndarray | None = None,
               balance: bool = True, prior: torch.Tensor | None = None, seed: int = 0,
               groups: np.ndarray | None = None, scored: np.ndarray | None = None,
               column_sets: dict[str, torch.Tensor] | None = None,
               reuse: tuple[str | None, float] | None = None,
               unvalidated: tuple[str, torch.Tensor] | None = None) -> HeadResult:
    """Choose the strength (k-fold CV, or ``holdout`` rows as the validation split for large data),
    then fit on every row. ``prior`` [D, K]: weights the head is pulled towards instead of zero (a
    probe continuing an earlier run's head). ``groups``/``scored``: rows that are views of one
    sample stay in one fold, and only ``scored`` rows are judged. ``column_sets``: named subsets of
    the columns (features of different kinds); each is judged the same way (same folds) and the one
    with the best estimate (ties: lower log loss, then the earlier) is kept, the other columns'
    weights zero, so the head keeps its shape. ``reuse`` (column set, strength): an earlier
    choice on nearly the same data (a retrain after a few label edits): only that one is judged,
    so the estimate and held-out predictions are still this data's, at a fraction of the cost.
    ``unvalidated`` (name, columns): the features to use where nothing can be validated (a class
    with a single example), instead of the first column set."""
    if column_sets is None and unvalidated is None and x.shape[1]:
        live = torch.nonzero((x != 0).any(dim=0)).flatten()
        if len(live) < LIVE_BELOW * x.shape[1]:
            return _on_live_columns(x, live, y, classes, prior, holdout=holdout, balance=balance, seed=seed,
                                    groups=groups, scored=scored, reuse=reuse)
    y = np.asarray(y, dtype=np.int64)
    counted = y if scored is None else y[scored]  # samples, not their views
    smallest = int(np.bincount(counted, minlength=classes)[np.unique(counted)].min())
    large = holdout is not None and holdout.any() and smallest >= LARGE
    x = x.to(torch.float32 if large else torch.float64)
    if large and scored is not None and not scored.all():  # views of pictures: not at this size
        keep = torch.from_numpy(scored)
        return solve_head(x[keep], y[scored], classes, holdout=holdout[scored], balance=balance, prior=prior,
                          seed=seed, column_sets=column_sets, reuse=reuse)
    weight = balanced_weights(y, classes) if balance else None
    sets = dict(column_sets) if column_sets and len(column_sets) > 1 else {None: None}
    if unvalidated is not None and not large and fold_count(y, groups) == 0:
        sets = {unvalidated[0]: unvalidated[1]}
    strengths = None
    if reuse is not None:
        name, strength = reuse
        if name in sets:
            sets = {name: sets[name]}
        strengths = [float(strength)]

    def merit(choice):
        best = choice.scores.get(choice.strength)
        return (-1.0, 0.0) if not best or best[0] is None else (best[0], -best[1])

    judged, bases = {}, {}
    kept = None  # (name, reduced rows, offset) of the best set so far: not reduced a second time
    for name, cols in sets.items():
        cols = None if cols is None else torch.as_tensor(cols, dtype=torch.long)
        if cols is not None and torch.equal(cols, torch.arange(x.shape[1])):
            cols = None  # every column, in order: no copy
        pr = None if prior is None else (prior if cols is None else prior[cols]).to(x.dtype)
        if large:  # only the picked and validation rows of these columns are read: no copy of the set
            choice, bases[name] = _choose_on_holdout(x, cols, y, classes, holdout, weight, pr, strengths, seed)
            judged[name] = (cols, pr, choice, "the validation split")
            continue
        xs = x if cols is None else x[:, cols]
        red = reduce(xs)
        offset = None if pr is None else xs @ pr
        choice = choose_strength(red.z, y, classes, groups=groups, sample_weight=weight, seed=seed,
                                 default=DEFAULT_STRENGTH, eval_mask=scored, offset=offset, strengths=strengths,
                                 precondition=red.reduced)
        how = f"{choice.folds}-fold cross-validation" if choice.folds else "none (a class has one example)"
        judged[name] = (cols, pr, choice, how)
        if kept is None or merit(choice) > merit(judged[kept[0]][2]):  # the first of equals stays
            kept = (name, red, offset)
        del xs, red

    chosen = kept[0] if kept else max(judged, key=lambda n: merit(judged[n][2]))  # max keeps the first of equals
    cols, pr, choice, how = judged[chosen]
    if kept:
        red, offset = kept[1], kept[2]
    else:  # large data: the chosen set's rows are taken only now
        red, offset = (_in_span(x, cols, bases[chosen]) if pr is None else None), None
        if red is None:  # in the columns, starting from the choice's solution mapped back to them
            xs = x if cols is None else x[:, cols]
            offset = None if pr is None else xs @ pr
            red = reduce(xs)
            if bases[chosen] is not None:
                st = choice.start
                choice = replace(choice, start=Solution(bases[chosen] @ st.weight, st.bias, st.iterations, st.converged))
            del xs
    if large:  # the estimate is the chosen model's, fit on every training row
        choice = _validate_on_holdout(red.z, y, classes, holdout, weight, offset, choice, red.reduced)
    yt = torch.from_numpy(y)
    sol = fit(red.z, yt, classes, choice.strength, None if weight is None else torch.from_numpy(weight),
              offset=offset, tol=1e-4 if large else 1e-5, start=choice.start, max_iter=100 if large else 500,
              precondition=red.reduced)
    w = red.to_columns(sol.weight)
    if pr is not None:
        w = w + pr
    if cols is not None:
        full = torch.zeros(x.shape[1], classes, dtype=w.dtype)
        full[cols] = w
        w = full
    b = sol.bias
    with torch.no_grad():
        rows = torch.from_numpy(scored) if scored is not None else slice(None)
        train_acc = float(((x @ w + b).argmax(1) == yt)[rows].double().mean())
    best = choice.scores.get(choice.strength, (None, None))
    scores = {name: j[2].scores.get(j[2].strength, (None, None))[0] for name, j in judged.items()} if chosen else {}
    compared = f"on the validation split, fit on {CHOICE_PER_CLASS} a class" if large else "cross-validated"
    return HeadResult(w.float(), b.float(), choice.strength, best[0], best[1], how, train_acc, choice.scores,
                      choice.held_out, chosen, scores, compared, red.z.shape[1] if large and red.reduced else None)


def solve_blocks(x: torch.Tensor, y: np.ndarray, classes: int, blocks, *, reuses: list | None = None,
                 **options) -> HeadResult:
    """One head per block of columns (a pair backbone's networks: ``blocks`` [(first column, end
    column, the block's column sets or None)]), each solved as ``solve_head`` solves one (its own
    column set and strength, judged on the same folds), joined as the mean of their logits: one
    linear head whose rows are each block's weights divided by the number of blocks. Its held-out
    predictions are the blocks' averaged the same way (the mean of their log-probabilities, whose
    argmax is the mean logits'), and its estimate is theirs. Measured on the suite's pictures
    (bench/backbone_ensemble_lab.py): +2.2 points over one network's head, where one head on both
    networks' columns (one strength for all) gained 1.5. ``reuses``: each block's ``reuse`` (an
    earlier choice, as solve_head's); ``options``: as solve_head's."""
    parts = []
    for b, (start, end, sets) in enumerate(blocks):
        unvalidated = ("final", sets["final"]) if sets and "final" in sets else None
        reuse = reuses[b] if reuses else None
        parts.append(solve_head(x[:, start:end], y, classes, column_sets=sets, unvalidated=unvalidated, reuse=reuse,
                                **options))
    k = len(parts)
    weight = torch.zeros(x.shape[1], classes)
    for (start, end, _sets), part in zip(blocks, parts):
        weight[start:end] = part.weight / k
    bias = sum(part.bias for part in parts) / k
    y = np.asarray(y, dtype=np.int64)
    scored = options.get("scored")
    scored = np.ones(len(y), bool) if scored is None else np.asarray(scored)
    held_out = estimate = estimate_loss = None
    if all(part.held_out is not None for part in parts):
        with np.errstate(invalid="ignore"):  # rows no fold judged (views) are NaN and stay so
            logp = np.mean([np.log(np.clip(part.held_out.astype(np.float64), 1e-12, None)) for part in parts], axis=0)
            logp -= np.logaddexp.reduce(logp, axis=1, keepdims=True)
        held_out = np.exp(logp).astype(np.float32)
        judged = scored & ~np.isnan(logp).any(axis=1)
        if judged.any():
            estimate = float((logp[judged].argmax(1) == y[judged]).mean())
            estimate_loss = float(-logp[judged, y[judged]].mean())
    with torch.no_grad():
        fitted = ((x.float() @ weight + bias).argmax(1).numpy() == y)[scored]
    main = parts[0]
    return HeadResult(weight, bias, main.strength, estimate, estimate_loss, main.how, float(fitted.mean()),
                      main.scores, held_out, ", ".join(f"network {b + 1} {part.features or 'all'}"
                                                        for b, part in enumerate(parts)),
                      {f"network {b + 1} {n}": a for b, part in enumerate(parts) for n, a in part.feature_scores.items()},
                      main.compared, None, members=parts)


def _on_live_columns(x, live, y, classes, prior, **options) -> HeadResult:
    """solve_head on the columns ``live`` only; the others keep the prior's weights (zero without
    one): exactly what the fit on every column gives them, as no row moves them."""
    result = solve_head(x[:, live], y, classes, prior=None if prior is None else prior[live], **options)
    full = torch.zeros(x.shape[1], classes) if prior is None else prior.float().clone()
    full[live] = result.weight
    result.weight = full
    return result


def _choose_on_holdout(x, cols, y, classes, holdout, weight, prior, strengths=None, seed=0):
    """Strengths compared on the validation split by models fit on up to CHOICE_PER_CLASS training
    rows a class (the strongest regularisation first, each starting from the last), on ``cols`` of
    ``x`` (None: all); ``prior`` as in solve_head, for those columns. Returns the choice (its
    solution in the picked rows' span) and that span's basis [columns, r] (None: not reduced)."""
    rng = np.random.default_rng(seed)
    train_rows = np.flatnonzero(~holdout)
    picked = np.sort(np.concatenate([rng.permutation(train_rows[y[train_rows] == c])[:CHOICE_PER_CLASS]
                                     for c in np.unique(y[train_rows])]))
    train, rows = torch.from_numpy(picked), torch.from_numpy(np.flatnonzero(holdout))
    yt = torch.from_numpy(y)
    w = None if weight is None else torch.from_numpy(weight)[train]
    sub, held = x[train], x[rows]
    if cols is not None:
        sub, held = sub[:, cols], held[:, cols]
    offset, off_held = (None, None) if prior is None else (sub @ prior, held @ prior)
    # fit in the span of the picked rows (exact, as for small data): 1,000 rows of 6,640 columns
    # become 1,000 of at most 1,000; the validation rows are scored through the same basis
    red = reduce(sub, keep_dtype=True)
    zh = held if red.basis is None else held @ red.basis
    scored = np.ones(len(rows), bool)
    scores, start, fitted = {}, None, {}
    for c in sorted(strengths or LARGE_STRENGTHS):
        start = fit(red.z, yt[train], classes, c, w, offset=offset, start=start, tol=1e-4, max_iter=100,
                    precondition=red.reduced)
        scores[c] = _holdout_scores(zh, yt[rows], scored, start, off_held)[:2]
        fitted[c] = start
    best = max(scores, key=lambda c: (scores[c][0], -scores[c][1]))
    return Choice(best, scores[best][0], 0, scores, None, fitted[best]), red.basis


def _in_span(x, cols, basis) -> Reduced | None:
    """Every row of ``cols`` of ``x`` in the picked rows' span, for the fits on every training row,
    where that span is much narrower than the columns and holds nearly all of the rows' energy;
    None where not. Projected a block of rows at a time: the chosen columns are never copied whole
    (4,500 x 3,376 float32 is 61 MB, at the probe's peak of memory)."""
    if basis is None or basis.shape[1] >= SPAN_NARROWER * basis.shape[0]:
        return None
    z = torch.empty(len(x), basis.shape[1], dtype=x.dtype)
    energy = 0.0
    for start in range(0, len(x), 512):
        rows = x[start:start + 512] if cols is None else x[start:start + 512, cols]
        torch.matmul(rows, basis, out=z[start:start + 512])
        energy += float(torch.linalg.vector_norm(rows)) ** 2
    inside = float(torch.linalg.vector_norm(z)) ** 2  # the basis is orthonormal: what it keeps of them
    return Reduced(z, basis) if inside >= SPAN_ENERGY * energy else None


def _validate_on_holdout(x, y, classes, holdout, weight, offset, choice: Choice, precondition: bool = False) -> Choice:
    """The chosen strength fit on every training row, scored on the validation split. The
    validation rows weigh nothing in the fit rather than being cut out: no copy of the rows."""
    yt = torch.from_numpy(y)
    w = np.where(holdout, 0.0, 1.0 if weight is None else weight)
    sol = fit(x, yt, classes, choice.strength, torch.from_numpy(w), offset=offset, start=choice.start,
              tol=1e-4, max_iter=200, precondition=precondition)
    acc, loss, probs = _holdout_scores(x, yt, holdout, sol, offset)
    held_out = np.full((len(y), classes), np.nan, np.float32)
    held_out[holdout] = probs
    return Choice(choice.strength, acc, 0, {**choice.scores, choice.strength: (acc, loss)}, held_out, sol)


def _holdout_scores(x, yt, holdout, sol, offset):
    rows = torch.from_numpy(holdout)
    with torch.no_grad():
        logits = x[rows] @ sol.weight + sol.bias + (0 if offset is None else offset[rows])
        logp = torch.log_softmax(logits, -1)
    return (float((logp.argmax(1) == yt[rows]).double().mean()), float(-logp.gather(1, yt[rows][:, None]).mean()),
            logp.exp().float().numpy())
