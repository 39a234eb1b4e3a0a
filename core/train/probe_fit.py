"""Probe mode: a logistic-regression head solved once on the cached embeddings (core.probe), its
regularisation and features chosen by cross-validation, written as the run's one "epoch"; and the
reuse of the last search's choice by a retrain on nearly the same samples."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import torch

from core.probe.solve import balanced_weights, solve_blocks, solve_head
from core.probe.views import UNLABELLED_VIEWS, view_numbers
from core.run_catalogue import FINISHED, list_runs
from core.train import checkpoint as ckpt_io
from core.train import events
from core.train.classifier_kind import TRAINED


def _joined(tensors: list[torch.Tensor]) -> torch.Tensor:
    """The rows of ``tensors`` as one float32 CPU tensor the probe may change in place. Where they
    lie side by side in one array (make_sources' views of the embeddings) it is that array: a copy took
    another 120 MB on 5,000 pictures. The sources are not read after the probe."""
    if all(t.dtype == torch.float32 and t.device.type == "cpu" and t.is_contiguous() for t in tensors):
        first, storage = tensors[0], tensors[0].untyped_storage()
        end = first.storage_offset() + first.numel()
        adjacent = True
        for t in tensors[1:]:
            adjacent &= t.untyped_storage().data_ptr() == storage.data_ptr() and t.storage_offset() == end
            end = t.storage_offset() + t.numel()
        if adjacent:
            rows = sum(len(t) for t in tensors)
            return torch.empty(0, dtype=torch.float32).set_(storage, first.storage_offset(), (rows, first.shape[1]))
    return torch.cat([t.float().cpu() for t in tensors])


def solve_probe(trainer, plan, model, train_src, val_src, started, adaptation=None) -> events.FitEnd:
    """Probe mode: a logistic-regression head solved on the cached embeddings of every labelled
    training and validation sample, its regularisation chosen by cross-validation
    (core.probe.solve). No epochs: the solution is the same however it is reached.
    ``adaptation`` (line, record): core.train.adapt's word on why it kept to the labelled alone."""
    config, init, data = plan.config, plan.init, plan.data
    t0 = time.perf_counter()
    parts = [train_src] if val_src is train_src else [train_src, val_src]
    feats = _joined([p.features for p in parts])
    targets = torch.cat([p.targets.cpu() for p in parts])
    holdout = np.concatenate([np.zeros(len(train_src), bool)] + ([np.ones(len(val_src), bool)] if len(parts) > 1 else []))
    if init is None:  # a probe from an earlier run keeps that run's standardisation
        with torch.no_grad():
            model.standardise_features(feats)
    originals = len(feats)
    # altered views of the labelled pictures learn too (core.probe.views): each stays in its
    # picture's fold and is never scored; not where a held-out split decides (large data)
    view_rows, view_of, offset = [], [], 0
    for p in parts:
        rows_p, of_p = getattr(p, "views", (torch.zeros(0, feats.shape[1]), torch.zeros(0, dtype=torch.long)))
        view_rows.append(rows_p.float().cpu())
        view_of.append(of_p + offset)
        offset += len(p)
    view_of = torch.cat(view_of)
    if len(view_of):
        feats = torch.cat([feats, *view_rows])
        targets = torch.cat([targets, targets[view_of]])
        holdout = np.concatenate([holdout, holdout[view_of.numpy()]])
    groups = np.concatenate([np.arange(originals), view_of.numpy()])
    scored = np.arange(len(feats)) < originals
    x = feats.sub_(model.feature_mean).div_(model.feature_std)  # in place (_joined)
    del feats
    column_sets = unvalidated = None
    # "auto": pictures and texts choose by cross-validation; sounds take the grid, which won on
    # every audio task of the suite where choosing lost up to 3 points (the preprocessing's
    # probe_feature_choice); where nothing can be validated (one example a class) all take the
    # final features, which lost least (README)
    kinds = model.backbone.feature_groups() if config.probe_features == "auto" and init is None else None
    choice = plan.spec.preprocessing.probe_feature_choice

    def choosable(groups: dict) -> dict:
        return groups if choice == "crossvalidate" else dict([next(iter(groups.items()))])  # the widest

    if kinds:
        column_sets = choosable(kinds)
        unvalidated = ("final", kinds["final"])
    # a pair backbone (core.backbones.pair): one head per network, each choosing as above, averaged
    blocks = None
    if kinds and len(model.backbone.blocks()) > 1:
        blocks = [(s, e, choosable(g)) for s, e, g in model.backbone.blocks()]
    views_each = round(len(view_of) / originals) if originals else 0  # views a labelled sample (a few may be missing)
    maxed = bool(getattr(model.backbone, "level_max", False))
    earlier = earlier_choice(trainer, config, originals, data.class_names, views_each, maxed) if init is None else None
    layout = plan.layout
    results, start = [], 0
    for t, size in enumerate(layout.sizes):
        y = (targets[:, t] if targets.dim() > 1 else targets).numpy()
        rows = y >= 0
        prior = None
        if init is not None and t == 0:  # carried class rows pull the new head towards them
            prior = model.head.weight[start:start + size].detach().T.double()
        xt = x if rows.all() else x[torch.from_numpy(rows)]
        if blocks and t == 0 and prior is None:
            reuses = ([(m["features"], m["strength"]) for m in earlier["members"]]
                      if earlier and len(earlier.get("members") or ()) == len(blocks) else None)
            results.append(solve_blocks(xt, y[rows], size, blocks, reuses=reuses, holdout=holdout[rows],
                                        balance=config.balance != "none", seed=config.seed, groups=groups[rows],
                                        scored=scored[rows]))
        else:
            results.append(solve_head(xt, y[rows], size, holdout=holdout[rows],
                                      balance=config.balance != "none", prior=prior, seed=config.seed,
                                      groups=groups[rows], scored=scored[rows],
                                      column_sets=column_sets if t == 0 else None,
                                      reuse=(earlier["features"], earlier["strength"]) if earlier and t == 0 else None,
                                      unvalidated=unvalidated if t == 0 else None))
        start += size
        if trainer.control.cancelled:
            return trainer._finish("cancelled", [], None, started, config)
    unlabelled = getattr(train_src, "unlabelled", None)
    semi = None
    if unlabelled is not None and len(unlabelled):
        ux = ((unlabelled.float().cpu() - model.feature_mean) / model.feature_std).double()
        y = (targets[:, 0] if targets.dim() > 1 else targets).numpy()
        view_number = np.concatenate([np.zeros(originals, dtype=np.int64), view_numbers(view_of.numpy())])
        rows = (y >= 0) & (view_number <= UNLABELLED_VIEWS)  # as its rule was chosen: two views a sample
        semi, results[0] = with_unlabelled(results[0], x[torch.from_numpy(rows)], y[rows], ux, layout.sizes[0],
                                           config, groups[rows], scored[rows], column_sets, blocks,
                                           fewer_views=bool((rows < (y >= 0)).any()))
        if trainer.control.cancelled:
            return trainer._finish("cancelled", [], None, started, config)
    with torch.no_grad():
        model.head.weight.copy_(torch.cat([r.weight.T for r in results]))
        model.head.bias.copy_(torch.cat([r.bias for r in results]))
    main = results[0]
    stage = f"linear probe, regularisation chosen by {main.how}"
    if earlier:
        stage = (f"linear probe, regularisation and features as run {earlier['run']} chose them on nearly the "
                 f"same samples, judged again by {main.how}")
    if main.features:
        scores = ", ".join(f"{n} {'-' if a is None else f'{a:.1%}'}" for n, a in main.feature_scores.items())
        stage += f"; features: {main.features} ({main.compared}: {scores})"
    if semi is not None:
        stage += "; unlabelled: " + semi_text(semi)
    if adaptation is not None:
        stage += "; adaptation: " + adaptation[0]
    nan = float("nan")
    row = {"epoch": 1, "stage": stage, "train_acc": main.train_acc, "train_loss": nan,
           "val_acc": main.estimate if main.estimate is not None else nan,
           "val_loss": main.estimate_loss if main.estimate_loss is not None else nan,
           "val_estimate": main.how, "strength": main.strength,
           "strength_scores": {str(c): acc for c, (acc, _) in main.scores.items()},
           "samples": originals, "views": len(x) - originals, "features": main.features or config.probe_features,
           "feature_scores": main.feature_scores, "seconds": time.perf_counter() - t0, "lr": 0.0, "batch_size": config.batch_size,
           "per_class_val_acc": {}}
    best = {"epoch": 1, "train_acc": main.train_acc, "val_estimate": main.how, "bad_epochs": 0,
            "probe_choice": {"features": main.features, "strength": main.strength, "samples": originals,
                             "members": [{"features": m.features, "strength": m.strength} for m in main.members or ()],
                             "classes": list(data.class_names), "views": views_each, "level_max": maxed,
                             "reused_from": earlier["run"] if earlier else None,
                             "searched_samples": earlier["searched"] if earlier else originals}}
    if main.estimate is not None:
        best.update(val_acc=main.estimate, val_loss=main.estimate_loss)
    if semi is not None:
        row["unlabelled"] = best["unlabelled"] = semi_record(semi)
    if adaptation is not None:
        row["adaptation"] = best["adaptation"] = adaptation[1]
    if layout.multi:
        sets = {n: r.estimate for n, r in zip(layout.names[1:], results[1:]) if r.estimate is not None}
        row["label_sets"] = {n: {"val_acc": a} for n, a in sets.items()}
        best["label_sets_val_acc"] = sets
    if trainer.dist.is_main and main.held_out is not None:  # the main set labels every row: row i is sample i
        hashes = [h for p in parts for h in getattr(p, "hashes", [])]
        trainer.files.write_held_out(main.how, list(data.class_names), {
            h: [round(float(v), 6) for v in p] for h, p in zip(hashes, main.held_out[:originals])
            if not np.isnan(p).any()})
    guesses = None
    if semi is not None:  # the run's guesses, to compare with labels set later
        hashes = train_src.unlabelled_hashes
        guesses = (semi.method, {hashes[i]: c for i, c in semi.guesses.items()})
    return write_solved(trainer, plan, model, row, best, started, guesses=guesses)


def write_solved(trainer, plan, model, row: dict, best: dict, started: float, *, guesses=None,
                 checkpoint_extra: dict | None = None) -> events.FitEnd:
    """A solved head (a probe, or core.train.adapt's adapted one) as the run's one "epoch": its
    metrics line, the run's guesses of unlabelled samples' classes (``guesses``: (method,
    {hash: class}), kept in pseudo_labels.json, never the project's labels), best.pt (with
    ``checkpoint_extra`` besides the run's meta), EpochEnd and CheckpointSaved; then the run ends."""
    config = plan.config
    if trainer.dist.is_main:
        trainer.files.append_metrics(_json_safe(row))
        if guesses is not None and guesses[1]:
            method, labels = guesses
            (trainer.files.dir / "pseudo_labels.json").write_text(json.dumps({
                "classes": list(plan.data.class_names), "method": method, "labels": labels}), encoding="utf-8")
        ckpt_io.save(trainer.files.best, TRAINED.payload(model, {
            "epoch": 1, "config": config.to_dict(), "batch_size": config.batch_size,
            "history": [_json_safe(row)], "best": best, **trainer.meta, **(checkpoint_extra or {})}))
    trainer.emit(events.EpochEnd(
        epoch=1, epochs=1, train_loss=row["train_loss"], train_acc=row["train_acc"], val_loss=row["val_loss"],
        val_acc=row["val_acc"], per_class_val_acc={}, seconds=row["seconds"], lr=0.0, is_best=True,
        stage=row["stage"], label_sets_val_acc=best.get("label_sets_val_acc", {})))
    if trainer.dist.is_main:
        trainer.emit(events.CheckpointSaved(1, str(trainer.files.best), "best"))
    return trainer._finish("completed", [row], best, started, config)


def with_unlabelled(main, x, y, unlabelled, classes, config, groups, scored, column_sets, blocks=None, *,
                    fewer_views: bool = False):
    """(semi.SemiResult, the main head): the labelled head replaced by one that learnt from the
    unlabelled samples too, where cross-validation on the labelled ones says it helps
    (core.probe.semi), on the same columns and regularisation the labelled ones chose.
    ``fewer_views``: ``x`` holds fewer views of each labelled sample than ``main`` learnt from (a
    sound's eight: the unlabelled samples' rule was chosen with two); the head that learnt from
    them then replaces ``main`` only where its cross-validated accuracy is at least ``main``'s own
    estimate, not only the two-view labelled head's it was judged against."""
    import dataclasses

    from core.probe import semi

    if main.members:  # a pair: every network's chosen columns, at the first network's strength (not yet measured)
        cols = torch.cat([torch.as_tensor(g[m.features] if g and m.features else torch.arange(s, e) - s) + s
                          for (s, e, g), m in zip(blocks, main.members)]).long()
    else:
        cols = None if not main.features or not column_sets else torch.as_tensor(column_sets[main.features],
                                                                                  dtype=torch.long)
    xs, us = (x, unlabelled) if cols is None else (x[:, cols], unlabelled[:, cols])
    weight = balanced_weights(y, classes) if config.balance != "none" else None
    result = semi.learn_with_unlabelled(xs, y, classes, us, main.strength, sample_weight=weight, groups=groups,
                                        scored=scored, seed=config.seed)
    if not result.used:
        return result, main
    chosen = result.scores[result.method]
    if fewer_views and main.estimate is not None and chosen < main.estimate:
        why = (f"{result.method}: {chosen:.1%} in {result.folds}-fold cross-validation with two views a labelled "
               f"sample, under the {main.estimate:.1%} estimated for the labelled samples with all their views")
        return dataclasses.replace(result, used=False, method=semi.LABELLED_ONLY, weight=None, bias=None, pseudo=0,
                                   threshold=None, pseudo_counts=[], guesses={}, reason=why), main
    w = result.weight
    if cols is not None:
        w = torch.zeros(x.shape[1], classes, dtype=result.weight.dtype)
        w[cols] = result.weight
    with torch.no_grad():
        fitted = ((x.float() @ w + result.bias).argmax(1).numpy() == y)[scored].mean()
    # the estimate is the chosen method's held-out accuracy on the same folds (its log loss is not kept)
    return result, dataclasses.replace(main, weight=w, bias=result.bias, estimate=result.scores[result.method],
                                       estimate_loss=None, train_acc=float(fitted), held_out=result.held_out)


def semi_text(r) -> str:
    """One line for the Train page and the terminal: what the unlabelled samples did, or why not."""
    if not r.used:
        return f"{r.unlabelled} not used: {r.reason}" if r.unlabelled else f"none used: {r.reason}"
    threshold = f", confidence at least {r.threshold:.2f}" if r.threshold is not None else ""
    return (f"learnt from {r.pseudo} of {r.unlabelled} with guessed classes (never saved as labels){threshold}; "
            f"{r.reason}")


def semi_record(r) -> dict:
    """What the run's metrics keep about the unlabelled samples."""
    return {"used": r.used, "method": r.method, "unlabelled": r.unlabelled, "pseudo_labelled": r.pseudo,
            "per_class": r.pseudo_counts, "threshold": r.threshold, "folds": r.folds,
            "cross_validated": {k: round(v, 4) for k, v in r.scores.items()}, "reason": r.reason}


REUSE_WITHIN = 0.05  # a retrain on at most this share more or fewer samples reuses the last choice

def earlier_choice(trainer, config, samples: int, class_names: list[str], views: int | None = None,
                   maxed: bool = False) -> dict | None:
    """The regularisation and features the newest probe of this project chose, where it was
    solved with the same settings on the same classes, as many views a labelled sample (``views``;
    a sound's number depends on how many clips there are), on the same columns (``maxed``: the
    levels' maxima read or not; runs before stop 34 read none) and within 5% as many samples as its
    choice was last searched on: a retrain after a few label edits need not search again (under 2 s for 1,000
    samples instead of a minute; bench/bench_train.py). Its estimate is still this data's."""
    from core.run_catalogue import FINISHED, list_runs

    try:
        runs = list_runs(trainer.project)
    except Exception:  # plain data, or a project without runs: nothing to reuse
        return None
    keys = ("backbone", "probe_features", "balance", "image_size", "pretrained", "seed")
    mine = config.to_dict()
    for run in runs:
        if run.id == trainer.run_id or run.status not in FINISHED:
            continue
        choice = run.metrics.get("probe_choice")
        if not choice:
            continue  # not a solved probe
        try:
            theirs = json.loads((run.dir / "config.json").read_text(encoding="utf-8"))["config"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if any(theirs.get(k) != mine.get(k) for k in keys) or choice.get("classes") != list(class_names):
            return None
        # the views the choice was made with (runs before stop 34 kept only the probe_views setting)
        if ("views" in choice and views is not None and choice["views"] != views) or (
                "views" not in choice and theirs.get("probe_views") != mine.get("probe_views")):
            return None
        if bool(choice.get("level_max", False)) != maxed:
            return None
        searched = int(choice.get("searched_samples") or choice.get("samples") or 0)
        if abs(searched - samples) > REUSE_WITHIN * samples:  # measured from the last real search
            return None
        return {"run": run.id, "features": choice.get("features"), "strength": float(choice["strength"]),
                "searched": searched, "members": choice.get("members") or []}
    return None


def _json_safe(row: dict) -> dict:
    """NaN (no estimate) as None, so metrics.jsonl stays standard JSON."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
