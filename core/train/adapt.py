"""Unsupervised domain adaptation of a probe started from another project's run (``--from-run``
with ``adapt="auto"``, the default): the source run's backbone re-measures its batch-norm statistics
on this project's samples (AdaBN), its head is applied to the target's features standardised with
the target's own statistics, and then self-trains on the target's unlabelled samples
(core.probe.adapt).

- **No labels** in this project: the run's classes are the source run's; nothing can be validated,
  so a fixed rule is used, AdaBN alone (SELF_TRAIN_WITHOUT_LABELS), and the run says so (no
  accuracy estimate).
- **A few labels**: the labelled samples judge, on the same folds, the labelled alone (the ordinary
  from-run probe) against AdaBN + self-training (cross-validated: each fold's labelled samples are
  left out and become unlabelled ones) and AdaBN alone (the source head fits nothing, so its
  accuracy on every labelled sample is already a held-out one). Adaptation is used only where it
  gets ``semi.MARGIN`` and ``semi.MORE_AT_LEAST`` more right; otherwise the labelled alone, saying so.

Either way the run records the source model's accuracy on the target's labelled samples before
adaptation, after AdaBN and after the chosen model (cross-validated). The adapted batch-norm
statistics are part of the backbone's weights in the run's checkpoint, so export and prediction
need nothing new; the guesses stay in the run (pseudo_labels.json), never in the project.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import math
import time

import numpy as np
import torch

from core.errors import TransferLabError
from core.probe import adapt as ops

ADABN_AT_MOST = 1000  # target samples the batch-norm statistics are measured on (a seeded choice)
SELF_TRAIN = True  # bench/bench_adapt.py switches it off to measure AdaBN alone
# With no labels nothing tells whether self-training helps; over the six domain-shift pairs of
# bench/bench_adapt.py (adapt.json) AdaBN alone gained +7.8 points over the source model on average
# and lost on none, AdaBN + self-training +5.3 (+14.5 on blurred pictures, -6.6 against AdaBN alone
# on noisy ones, -9.4 on new backgrounds): without labels the run keeps to AdaBN. With labels,
# cross-validation chooses between them (and the labelled alone).
SELF_TRAIN_WITHOUT_LABELS = False
# Re-measure the backbone's batch-norm statistics: "auto" where the source run learnt them on its
# own domain (full training; probe and finetune keep ImageNet's), "always", "never". The statistics
# of a probe's backbone are ImageNet's, not its domain's: measuring them on the target moved the
# features away from what the head learnt (clean -> blurred shapes: 66.1% -> 58.3%), while the
# probe's own normalisation, its input standardisation measured on the source domain, re-measured
# on the target is AdaBN one layer up (66.1% -> 72.8%; bench/results/adapt_blur_diagnosis.txt).
ADABN_BACKBONE = "auto"
DEFAULT_STRENGTH = 1.0  # where the source run chose none (it was not a solved probe)


def adapting(plan) -> bool:
    """Whether this run (core.train.plan.RunPlan) adapts: a probe from an earlier run with ``adapt`` "auto"."""
    return plan.init is not None and plan.config.adapt == "auto" and plan.config.mode == "probe"


def measures_statistics(plan, backbone) -> bool:
    """Whether this run re-measures the batch-norm statistics of ``backbone`` on the target (AdaBN):
    it adapts, the backbone has batch norm and the source run learnt its statistics (ADABN_BACKBONE).
    Its unlabelled samples are then embedded once, by the adapted backbone (the trainer has
    make_sources leave them)."""
    if not adapting(plan) or not ops.has_batch_norm(backbone):
        return False
    return ADABN_BACKBONE == "always" or (ADABN_BACKBONE == "auto" and plan.init.checkpoint.get("mode") == "full")


def without_labels(init, data) -> bool:
    return init is not None and not data.train and not data.val


def unlabelled_target(init, config, data):
    """(config, data) of a project with samples but no labels, trained from an earlier run: the
    run's classes are that run's, and it can only be a probe adapting to the samples."""
    if config.adapt != "auto":
        raise TransferLabError(f"This project has no labelled samples; with --adapt off there is nothing to learn "
                               f"from run {init.run_id}. Label some samples, or leave --adapt at auto to adapt "
                               "the run to the unlabelled ones.")
    if config.mode not in ("auto", "probe"):
        raise TransferLabError(f"This project has no labelled samples to {config.mode}-train on; adapting run "
                               f"{init.run_id} to its unlabelled samples is a probe: use --mode probe or auto.")
    if not data.unlabelled:
        raise TransferLabError("This project has no samples to adapt to (none labelled, none unlabelled outside the "
                               "test split); import some first.")
    return config.replace(mode="probe"), dataclasses.replace(data, class_names=list(init.class_names), warnings=list(data.warnings) + [
        f"No labelled samples: the model keeps run {init.run_id}'s classes ({', '.join(init.class_names)}) and adapts "
        "to this project's unlabelled samples; there is nothing to estimate its accuracy on."])


def adapt_probe(trainer, plan, model, train_src, val_src, started):
    config, init, classes = plan.config, plan.init, list(plan.data.class_names)
    parts = [train_src] if val_src is train_src else [train_src, val_src]
    hashes_l = [h for p in parts for h in getattr(p, "hashes", [])]
    x_l = torch.cat([p.features.float().cpu() for p in parts]) if hashes_l else torch.zeros(0, model.feature_mean.numel())
    targets = torch.cat([p.targets.cpu() for p in parts]) if hashes_l else torch.zeros(0, dtype=torch.long)
    y = (targets[:, 0] if targets.dim() > 1 else targets).numpy().astype(np.int64)
    x_u = train_src.unlabelled if train_src.unlabelled is not None else torch.zeros(0, x_l.shape[1])
    hashes_u = list(train_src.unlabelled_hashes)  # with AdaBN, not embedded yet (measures_statistics)
    missing = [c for c in classes if c not in init.sources(classes, config.class_map)]
    if missing or plan.layout.multi or not hashes_u:
        return _not_adapted(trainer, plan, model, train_src, val_src, started, missing)
    t0 = time.perf_counter()
    mean_s, std_s = model.feature_mean.detach().clone(), model.feature_std.detach().clone()
    w0, b0 = model.head.weight.detach().T.double().clone(), model.head.bias.detach().double().clone()
    strength = float(((init.checkpoint.get("best") or {}).get("probe_choice") or {}).get("strength")
                     or DEFAULT_STRENGTH)
    # AdaBN: a copy of the source backbone measures its statistics on the target's samples
    adapted, identity, seen = None, None, 0
    if measures_statistics(plan, model.backbone):
        adapted = copy.deepcopy(model.backbone)
        items = _statistics_items(plan, hashes_l, hashes_u)
        digest = hashlib.sha256("|".join(sorted(h for h, _ in items)).encode()).hexdigest()[:12]
        identity = f"{init.identity}:adabn:{digest}"
        seen = _measured(trainer, plan, adapted, items, identity)
        adapted.weights_identity = identity
        if trainer.control.cancelled:
            return trainer._finish("cancelled", [], None, started, config)
        embedded = _embed(trainer, plan, adapted, hashes_l, hashes_u)
        if embedded is None:
            return trainer._finish("cancelled", [], None, started, config)
        f_l, f_u, hashes_u = embedded
        if not hashes_u:  # none of them could be read
            return _not_adapted(trainer, plan, model, train_src, val_src, started, missing)
    else:
        f_l, f_u = x_l, x_u.float()
    # the head's input standardised with the target's own statistics (AdaBN one layer up)
    with torch.no_grad():
        model.standardise_features(torch.cat([f_l, f_u]).float())
    mean_t, std_t = model.feature_mean.detach().clone(), model.feature_std.detach().clone()
    z_l, z_u = ((f_l - mean_t) / std_t).double(), ((f_u - mean_t) / std_t).double()
    record = {"used": True, "source_run": init.run_id, "labelled": int(len(y)), "unlabelled": int(len(z_u)),
              "adabn": {"layers": len(ops.batch_norms(model.backbone)), "samples": seen} if adapted is not None else None,
              "standardised_on": int(len(f_l) + len(f_u)),
              "source_mode": init.checkpoint.get("mode"), "batch_norm": ops.has_batch_norm(model.backbone),
              "strength": strength}
    if len(y):
        x_src = ((x_l - mean_s) / std_s).double()
        record["before"] = _acc(x_src, w0, b0, y)  # the source model as it came, on the target's labels
        record["adabn_only"] = _acc(z_l, w0, b0, y)
    choice, estimate, reason, scores = ("adabn + self-training" if SELF_TRAIN and SELF_TRAIN_WITHOUT_LABELS
                                        else "adabn"), None, "", {}
    if len(y):
        choice, estimate, reason, scores = _judge(trainer, config, x_l, mean_s, std_s, w0, z_l, z_u, y, b0, strength)
        record["folds"] = scores.pop("folds", 0)
        record["cross_validated"] = scores
    if choice == "labelled only":
        record.update(used=False, reason=reason)
        model.feature_mean.copy_(mean_s)
        model.feature_std.copy_(std_s)
        return _labelled_alone(trainer, plan, model, train_src, val_src, started, (f"not used: {reason}", record))
    st = None
    if choice == "adabn + self-training":
        st = ops.self_train(z_u, w0, b0, strength, zl=z_l if len(y) else None, y=y if len(y) else None)
        weight, bias = st.weight, st.bias
    else:
        weight, bias = w0.float(), b0.float()
    with torch.no_grad():
        if adapted is not None:
            model.backbone.load_state_dict(adapted.state_dict())
            model.backbone.weights_identity = identity
        model.head.weight.copy_(weight.T)
        model.head.bias.copy_(bias)
    record.update(method=choice, reason=reason or (
        "no labels to judge by, so a fixed rule: statistics measured again on these samples"
        + (", then self-training" if choice == "adabn + self-training" else "")))
    if st is not None:
        record["self_training"] = {"pseudo_labelled": st.pseudo, "per_class": st.per_class, "threshold": st.threshold,
                                   "rounds": ops.ROUNDS, "share": ops.SHARE}
    if len(y):
        record["after"] = estimate
    return _write(trainer, plan, model, config, record, st, hashes_u, estimate, len(y), time.perf_counter() - t0, started,
                  identity)


def _not_adapted(trainer, plan, model, train_src, val_src, started, missing):
    why = (f"the classes {', '.join(missing)} are new to run {plan.init.run_id}" if missing
           else "several label sets are learnt at once" if plan.layout.multi
           else "there are no unlabelled samples to adapt to")
    return _labelled_alone(trainer, plan, model, train_src, val_src, started,
                           (f"not used: {why}", {"used": False, "reason": why}))


def _labelled_alone(trainer, plan, model, train_src, val_src, started, adaptation):
    """The plain from-run probe, as with ``adapt`` "off": the unlabelled samples, embedded for
    adapting, are not handed to core.probe.semi (on clean -> noisy shapes that took 81.1% to 55.0%)."""
    from core.train.probe_fit import solve_probe

    train_src.unlabelled, train_src.unlabelled_hashes = None, []
    return solve_probe(trainer, plan, model, train_src, val_src, started, adaptation)


def _judge(trainer, config, x_l, mean_s, std_s, w0, z_l, z_u, y, b0, strength):
    """(choice, its estimate, why, scores): labelled only against the adapted candidates, on the
    same folds of the labelled samples."""
    from core.probe import semi
    from core.probe.crossval import fold_count, stratified_folds
    from core.probe.solve import solve_head

    classes = w0.shape[1]
    k = fold_count(y)
    adabn_hits = int((ops.proba(z_l, w0, b0).argmax(1) == y).sum())
    if k == 0:
        return ("adabn + self-training" if SELF_TRAIN else "adabn", None,
                "too few labels to judge by (a class has one), so a fixed rule: statistics measured again on these samples"
                + (", then self-training" if SELF_TRAIN else ""), {})
    x_src = ((x_l - mean_s) / std_s).double()
    plain = solve_head(x_src, y, classes, balance=config.balance != "none", prior=w0, seed=config.seed)
    plain_hits = int(round((plain.estimate or 0.0) * len(y)))
    scores = {"labelled only": plain.estimate, "adabn": adabn_hits / len(y)}
    hits = {"adabn": adabn_hits}
    if SELF_TRAIN:
        folds = stratified_folds(y, k, config.seed)
        got = 0
        for f in range(k):
            test, train = folds == f, folds != f
            st = ops.self_train(torch.cat([z_u, z_l[torch.from_numpy(test)]]), w0, b0, strength,
                                zl=z_l[torch.from_numpy(train)], y=y[train])
            got += int((ops.proba(z_l[torch.from_numpy(test)], st.weight, st.bias).argmax(1) == y[test]).sum())
            if trainer.control.cancelled:
                break
        hits["adabn + self-training"] = got
        scores["adabn + self-training"] = got / len(y)
    best = max(hits, key=lambda c: (hits[c], c != "adabn"))
    scores = {c: round(v, 4) for c, v in scores.items() if v is not None}
    scores["folds"] = k
    if hits[best] < plain_hits + max(semi.MORE_AT_LEAST, math.ceil(semi.MARGIN * len(y))):
        return ("labelled only", plain.estimate,
                f"adapting did not gain {semi.MARGIN:.0%} and {semi.MORE_AT_LEAST} samples in {k}-fold cross-validation "
                f"({scores[best]:.1%} with {best} against {scores['labelled only']:.1%} from the labelled alone)", scores)
    return (best, scores[best], f"{best}: {k}-fold cross-validation {scores[best]:.1%} against "
            f"{scores['labelled only']:.1%} from the labelled alone", scores)


def _device(module) -> torch.device:
    return next(module.parameters()).device


def _acc(z, w, b, y) -> float:
    return float((ops.proba(z, w, b).argmax(1) == y).mean())


def _measured(trainer, plan, backbone, items, identity) -> int:
    """AdaBN on ``items``, or the statistics a run measured on the same samples from the same
    source run (kept in the project's cache folder: a retrain after a label edit, or the labelled
    alone judged again, need not run the network in training mode over every sample again)."""
    from core.atomic import atomic_write_bytes

    cache_dir = plan.data.cache_dir
    key = hashlib.sha256(f"{plan.spec.fingerprint}|{identity}|{backbone.feature_tag}".encode()).hexdigest()[:16]
    path = None if cache_dir is None else cache_dir / "adabn" / f"{key}.pt"
    names = [k for k, _ in backbone.named_buffers() if k.rsplit(".", 1)[-1] in STAT_BUFFERS]
    if path is not None and path.exists():
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)  # measured on a GPU too
            if set(saved["stats"]) == set(names):
                backbone.load_state_dict(saved["stats"], strict=False)
                return int(saved["samples"])
        except (OSError, RuntimeError, KeyError, ValueError):
            pass  # a damaged cache file: measure again
    seen = ops.adabn(backbone, _batches(trainer, plan, backbone, items))
    if path is not None and not trainer.control.cancelled:
        import io

        state = backbone.state_dict()
        buffer = io.BytesIO()
        torch.save({"stats": {k: state[k] for k in names}, "samples": seen}, buffer)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buffer.getvalue())
    return seen


STAT_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def _statistics_items(plan, hashes_l, hashes_u) -> list:
    """(hash, source) of the target samples the statistics are measured on: every labelled and
    unlabelled one outside the test split, at most ADABN_AT_MOST (chosen by their content hashes)."""
    from core.project.splits import order_key

    wanted = list(dict.fromkeys([*hashes_l, *hashes_u]))
    if len(wanted) > ADABN_AT_MOST:
        wanted = sorted(wanted, key=lambda h: order_key(plan.config.seed, h))[:ADABN_AT_MOST]
    return _target_items(plan, wanted)


def _target_items(plan, hashes) -> list:
    """(hash, source) of the target samples of ``hashes`` (each once), in their order."""
    from core.train.make_sources import _source_of

    data = plan.data
    by_hash = {it.hash: it for it in [*data.train, *data.val, *data.unlabelled]}
    return [(h, _source_of(by_hash[h], plan.spec)) for h in dict.fromkeys(hashes) if h in by_hash]


def _batches(trainer, plan, backbone, items):
    """Batches of prepared inputs (equal length each: audio clips are cut to one length anyway)."""
    from core.features import _batches as group, _prepare

    pre, device = plan.spec.preprocessing, _device(backbone)
    size = max(plan.config.batch_size, 32)
    for start in range(0, len(items), 4 * size):
        if trainer.control.cancelled:
            return
        ready = [(h, t) for (h, _), (t, err) in ((it, _prepare(pre, it)) for it in items[start:start + 4 * size])
                 if err is None]
        for batch in group(ready, pre, size):
            if len(batch) < 2:  # one sample's batch statistics are no statistics (and BN refuses them)
                continue
            inputs = pre.collate([t for _, t in batch])
            yield tuple(b.to(device) if isinstance(b, torch.Tensor) else b for b in inputs)


def _embed(trainer, plan, backbone, hashes_l, hashes_u):
    """(labelled features, unlabelled features, the unlabelled hashes read) by the adapted backbone
    (cached under its own identity), in the order given: the unlabelled samples are embedded here
    alone, so one that cannot be read is left out; None when cancelled."""
    from core.train.make_sources import embed

    found = embed(trainer, plan, backbone, _target_items(plan, [*hashes_l, *hashes_u]))
    if found is None:
        return None
    row = {h: i for i, h in enumerate(found.hashes)}
    vectors = torch.from_numpy(found.vectors)
    read_u = [h for h in hashes_u if h in row]

    def rows(hashes):  # a labelled sample unreadable now (it was read for the source's features): its mean row
        return torch.stack([vectors[row[h]] if h in row else vectors.mean(0) for h in hashes]) if hashes \
            else torch.zeros(0, vectors.shape[1])

    return rows(hashes_l), rows(read_u), read_u


def adaptation_text(r: dict) -> str:
    """One line for the Train page and the terminal: what adapting did, or why it was not used."""
    if not r.get("used"):
        return f"not used: {r.get('reason', '')}"
    bits = []
    if r.get("adabn"):
        bits.append(f"batch-norm statistics of {r['adabn']['layers']} layers re-measured on {r['adabn']['samples']} "
                    "target samples (AdaBN)")
    elif r.get("batch_norm"):
        bits.append(f"batch-norm statistics kept (the source run, a {r.get('source_mode')}, has ImageNet's, not its "
                    "domain's)")
    else:
        bits.append("the backbone has no batch norm")
    bits.append(f"the head's input standardised on {r.get('standardised_on', 0)} target samples")
    st = r.get("self_training")
    if st:
        threshold = f", confidence at least {st['threshold']:.2f}" if st.get("threshold") is not None else ""
        bits.append(f"self-trained on {st['pseudo_labelled']} of {r['unlabelled']} unlabelled samples with guessed "
                    f"classes (never saved as labels){threshold}")
    if r.get("labelled"):
        bits.append(f"{r['labelled']} labelled: source model {r['before']:.1%} before, {r['adabn_only']:.1%} after "
                    f"AdaBN")
    else:
        bits.append("no labels: no accuracy estimate")
    return "; ".join(bits) + f" ({r.get('reason', '')})"


def _write(trainer, plan, model, config, record, st, hashes_u, estimate, labelled, seconds, started, identity):
    """The adapted model as the run's one "epoch", as a solved probe writes it (core.train.probe_fit)."""
    from core.train.probe_fit import write_solved

    nan = float("nan")
    how = f"{record['folds']}-fold cross-validation" if record.get("folds") else "a fixed rule, no labels to judge by"
    stage = (f"linear probe, run {record['source_run']}'s head adapted to this project's samples, chosen by {how}; "
             f"adaptation: {adaptation_text(record)}")
    train_acc = nan
    row = {"epoch": 1, "stage": stage, "train_acc": train_acc, "train_loss": nan,
           "val_acc": estimate if estimate is not None else nan, "val_loss": nan,
           "val_estimate": how, "strength": record["strength"], "samples": labelled, "views": 0,
           "seconds": seconds, "lr": 0.0, "batch_size": config.batch_size, "per_class_val_acc": {},
           "adaptation": record}
    best = {"epoch": 1, "train_acc": train_acc, "val_estimate": row["val_estimate"], "bad_epochs": 0,
            "adaptation": record}
    if estimate is not None:
        best["val_acc"] = estimate
    guesses = None if st is None else (record["method"], {hashes_u[i]: c for i, c in st.guesses.items()})
    return write_solved(trainer, plan, model, row, best, started, guesses=guesses,
                        checkpoint_extra={"backbone_identity": identity})
