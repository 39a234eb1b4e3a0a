"""`transferlab train DIR`: the GUI's training engine, headless (also under torchrun for DDP)."""

from __future__ import annotations

import os
import signal
import sys

from core.cli.output import ProgressBar, open_for_writing, print_json
from core.errors import UsageError
from core.project import Project
from core.train import events
from core.train.config import AUGMENTS, MODES, TrainConfig

NAME = "train"
HELP = ("Train a model on the project's labelled samples: probe, finetune or full training, or a few-shot "
        "(prototypes) or zero-shot (attributes) model built without epochs.")


def add_arguments(p) -> None:
    p.add_argument("dir", metavar="DIR", help="the project folder")
    p.add_argument("--backbone", help="pretrained backbone (see `transferlab backbones`); default: a probe of pictures "
                   "reads with the bundled EfficientNet-Lite0 and Lite1 together, any other run with the bundled single network")
    p.add_argument("--mode", choices=(*MODES, "fewshot", "zeroshot"), default="auto",
                   help="probe: frozen backbone, linear head; finetune: top blocks too; full: every layer; "
                        "fewshot: class prototypes from as few as one example each, no training; "
                        "zeroshot: attribute detectors, so classes described by attributes (`label attributes`) "
                        "are recognised even without examples; auto (default): chosen from the data and the device")
    p.add_argument("--epochs", type=int, help="number of epochs (default: depends on the mode)")
    p.add_argument("--batch-size", type=int, default=32, help="samples per batch (default 32)")
    p.add_argument("--lr", type=float, help="learning rate of the head (default: depends on the mode)")
    p.add_argument("--augment", choices=AUGMENTS, default="light", help="augmentation preset (default light)")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--image-size", type=int, help="training resolution (default: the backbone's)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--config", metavar="FILE", help="a JSON file of training settings (flags override it)")
    p.add_argument("--resume", metavar="RUN_ID", help="continue an interrupted run from its last.pt")
    p.add_argument("--from-run", metavar="RUN", help="start from an earlier run's weights instead of ImageNet: "
                   "its id in this project, or its folder (runs/<id>) in any project; reports before and after")
    p.add_argument("--map-class", metavar="OLD=NEW", action="append", default=[],
                   help="with --from-run: the earlier run's class OLD is this project's NEW (repeat for more)")
    p.add_argument("--label-sets", metavar="SETS", help="multi-task: the extra label sets to learn with the main one "
                   "(one head each on a shared backbone): all (default), none, or names separated by commas")
    p.add_argument("--unlabelled", choices=("use", "ignore"),
                   help="probe: learn from the project's unlabelled samples too (self-training or label "
                        "spreading), where cross-validation on the labelled ones shows it helps; otherwise it "
                        "says so and learns from the labelled alone (use, the default), or leave them out (ignore)")
    p.add_argument("--adapt", choices=("auto", "off"),
                   help="with --from-run, a probe: adapt the earlier run to this project's samples (batch-norm "
                        "statistics re-measured on them, then self-training on the unlabelled ones) where "
                        "cross-validation on the labels shows it helps, or always where there are no labels; "
                        "the run's classes are then the earlier run's (auto, the default), or not (off)")
    p.add_argument("--json", action="store_true", help="print one JSON object with the result (run id, mode, "
                   "device, metrics, paths)")


def _config(args) -> TrainConfig:
    base = TrainConfig()
    if args.config:
        from core.safe_files import FileRefused, open_regular

        try:
            # a regular file of sensible size: /dev/zero or a FIFO here read (or waited) forever
            with open_regular(args.config, "text") as fh:
                text = fh.read().decode("utf-8")
        except FileRefused as exc:
            raise UsageError(f"Cannot read the training settings file '{args.config}' ({exc.reason}).") from None
        except UnicodeDecodeError:
            raise UsageError(f"The training settings file '{args.config}' is not UTF-8 text (a JSON file of "
                             "training settings is).") from None
        except OSError as exc:
            raise UsageError(f"Cannot read the training settings file '{args.config}' "
                             f"({exc.strerror or exc}).") from None
        base = TrainConfig.from_json(text)
    given = {"backbone": args.backbone, "epochs": args.epochs, "lr": args.lr, "image_size": args.image_size,
             "from_run": args.from_run, "label_sets": args.label_sets, "class_map": _class_map(args.map_class),
             "unlabelled": args.unlabelled, "adapt": args.adapt}
    changes = {k: v for k, v in given.items() if v is not None}
    for key, default in (("mode", "auto"), ("batch_size", 32), ("augment", "light"), ("device", "auto"), ("seed", 0)):
        value = getattr(args, key)
        if value != default or not args.config:
            changes[key] = value
    return base.replace(**changes)


def _class_map(pairs: list[str]) -> dict | None:
    out = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise UsageError(f"--map-class takes OLD=NEW (the earlier run's class, then this project's), not '{pair}'.")
        out[" ".join(old.split())] = " ".join(new.split())
    return out or None


class TerminalReport:
    """Progress bar on stderr (terminals only), one line per epoch, warnings on stderr."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar: ProgressBar | None = None
        self.warnings: list[str] = []
        self.start: events.FitStart | None = None

    def on_fit_start(self, e: events.FitStart) -> None:
        self.start = e
        if not self.quiet:
            resumed = f", resuming after epoch {e.resumed_from_epoch}" if e.resumed_from_epoch else ""
            of = f" of {e.config['backbone']}" if e.config.get("backbone") else ""
            print(f"Run {e.run_id}: {e.mode}{of} on {e.device} ({e.precision}), {e.train_size} training and "
                  f"{e.val_size} validation samples, {len(e.class_names)} classes{resumed}.")
            print(f"  mode: {e.mode} ({e.mode_reason})")

    def on_batch_end(self, e: events.BatchEnd) -> None:
        if self.bar is None:
            self.bar = ProgressBar(f"Epoch {e.epoch}")
        self.bar.label = f"Epoch {e.epoch}"
        self.bar.update(e.batch, e.batches, f"loss {e.loss:.3f}")

    def on_embed_progress(self, e: events.EmbedProgress) -> None:
        if self.bar is None:
            self.bar = ProgressBar("Embedding")
        self.bar.update(e.done, e.total)  # the bar shows the rate and the time left
        if e.done >= e.total:
            self.bar.close()
            self.bar = None
            if not self.quiet and e.per_second:
                what = (f"{e.total} inputs: {e.total - e.views} samples and {e.views} altered views of them"
                        if e.views else f"{e.total} samples")
                print(f"Embedded {what} ({e.per_second:.0f} a second).")

    def on_epoch_end(self, e: events.EpochEnd) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if not self.quiet and e.stage.startswith("linear probe"):
            stage, _, adaptation = e.stage.partition("; adaptation: ")
            stage, _, unlabelled = stage.partition("; unlabelled: ")
            how, _, features = stage.split("chosen by ")[-1].partition("; features: ")
            estimate = (f"estimated accuracy {e.val_acc:.3f} ({how})" if e.val_acc == e.val_acc
                        else "no accuracy estimate (no labels)" if "no labels" in adaptation
                        else "no accuracy estimate (a class has a single example)")
            print(f"Probe solved in {e.seconds:.1f}s: {estimate}; accuracy on its own training samples {e.train_acc:.3f}.")
            if features:
                print(f"Features: {features}.")
            if unlabelled:
                print(f"Unlabelled samples: {unlabelled}.")
            if adaptation:
                print(f"Adaptation: {adaptation}.")
            return
        if not self.quiet:
            mark = " *" if e.is_best else ""
            sets = "".join(f"  {name} {acc:.3f}" for name, acc in e.label_sets_val_acc.items())
            print(f"epoch {e.epoch:>3}/{e.epochs}  train loss {e.train_loss:.4f} acc {e.train_acc:.3f}  "
                  f"val loss {e.val_loss:.4f} acc {e.val_acc:.3f}{sets}  {e.seconds:.1f}s  [{e.stage}]{mark}")

    def on_warning(self, e: events.Warning) -> None:
        self.warnings.append(e.message)
        print(f"transferlab: warning: {e.message}", file=sys.stderr)


def _open(path, dist):
    """Under torchrun only rank 0 opens the project for writing (it holds the project's lock and
    records the run); the other ranks read it once rank 0 has it open (and migrated, if needed)."""
    if dist.is_main:
        project = open_for_writing(path)
        dist.barrier()
        return project
    dist.barrier()
    return Project.open(path, read_only=True)


def run(args) -> int:
    code = _run(args)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # Under torchrun a rank sometimes aborted in C++ destructors at interpreter exit, after its
        # work was done and the process group left ("terminate called without an active exception",
        # 1 run in 3-6). Everything is written and flushed by now: leave without running them.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _run(args) -> int:
    if args.mode == "fewshot":
        return _fewshot(args)
    if args.mode == "zeroshot":
        return _zeroshot(args)
    # torch loads here, not when the CLI starts (every command's module is imported to build the help)
    from core.train import TrainControl, Trainer
    from core.train.distributed import DistContext

    config = None if args.resume else _config(args)  # a wrong flag is a sentence before anything opens
    dist = DistContext.from_environment()  # joins the process group under torchrun
    control = TrainControl()
    report = TerminalReport(quiet=args.json or not dist.is_main)
    previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())  # Ctrl+C: stop cleanly, keep last.pt
    try:
        with _open(args.dir, dist) as project:
            if args.resume:
                trainer = Trainer.resume(project, args.resume, callbacks=[report], control=control)
            else:
                trainer = Trainer(project, config, callbacks=[report], control=control)
            result = trainer.fit()
            transfer = None
            if args.from_run and dist.is_main and result.best_path:
                from core.evaluate.before_after import before_and_after  # torch: here, as above

                transfer = before_and_after(project, args.from_run, result.run_id,
                                            class_map=trainer.config.class_map)
        # Leave together: a rank that tears its process group down while the other still talks
        # to it aborts at exit ("terminate called without an active exception", seen 2 in 6 runs).
        dist.barrier()
    finally:
        signal.signal(signal.SIGINT, previous)
        if report.bar is not None:
            report.bar.close()
        dist.close()
    if not dist.is_main:
        return 0  # rank 0 speaks for the run
    start = report.start
    if args.json:
        print_json({
            "run_id": result.run_id, "status": result.status, "mode": start.mode if start else None,
            "mode_reason": start.mode_reason if start else None, "device": start.device if start else None,
            "precision": start.precision if start else None,
            "backbone": start.config.get("backbone") if start else trainer.config.backbone,
            "epochs_done": result.epochs_done, "best_epoch": result.best_epoch, "metrics": result.metrics,
            "run_dir": result.run_dir, "best_path": result.best_path, "skipped_files": result.skipped_files,
            "batch_size": result.batch_size, "seconds": round(result.seconds, 3), "warnings": report.warnings,
            **({"transfer": transfer} if transfer else {}),
        })
    else:
        m = result.metrics
        if m.get("val_estimate"):  # a solved probe: no epochs, an estimate by cross-validation
            best = (f"estimated accuracy {m['val_acc']:.3f} by {m['val_estimate']}" if "val_acc" in m
                    else "no accuracy estimate (a class has a single example)")
        else:
            best = (f"best epoch {result.best_epoch}: val acc {m['val_acc']:.3f}, val loss {m['val_loss']:.4f}"
                    if m else "no epoch finished")
        for name, acc in (m.get("label_sets_val_acc") or {}).items():  # multi-task, judged as the main set is
            best += f"; {name}: {'estimated accuracy' if m.get('val_estimate') else 'val acc'} {acc:.3f}"
        print(f"Run {result.run_id} {result.status.replace('_', ' ')} in {result.seconds:.1f}s; {best}.")
        if result.best_path:
            print(f"  model: {result.best_path}")
        if transfer:
            def pct(x):
                return "n/a" if x is None else f"{x:.1%}"

            print(f"  from run {transfer['from_run']}: on this project's {transfer['split']} samples of the classes it "
                  f"knew ({transfer['known_class_samples']}), {pct(transfer['before'])} before, "
                  f"{pct(transfer['after_on_known_classes'])} after; {pct(transfer['after'])} on all "
                  f"{transfer['samples']}.")
        if result.status == "cancelled" and result.last_path:
            print(f"  continue with: transferlab train {args.dir} --resume {result.run_id}")
    return 130 if result.status == "cancelled" else 0


def _build(args, build):
    """Run ``build(project, spec)`` (a few-shot or zero-shot run: no training loop); print its JSON
    and return None with --json, else return its result (a FitEnd) for a summary."""
    from core import backbones  # torch loads here, not when the CLI starts

    ignored = _ignored_flags(args)
    if ignored:  # said before the work: a build takes only the backbone, on the main label set
        print(f"transferlab: warning: --mode {args.mode} builds its model from the main label set with "
              f"--backbone alone; ignored: {', '.join(ignored)}.", file=sys.stderr)
    bar = ProgressBar("Embedding")
    with open_for_writing(args.dir) as project:
        spec = backbones.get(args.backbone) if args.backbone else None
        try:
            result = build(project, spec, progress=bar)
        finally:
            bar.close()
    if args.json:
        details = dict(result.details)
        print_json({"run_id": result.run_id, "mode": args.mode, "device": details.pop("device", "cpu"),
                    "metrics": result.metrics, **details, "run_dir": result.run_dir,
                    "seconds": round(result.seconds, 3)})
        return None
    return result


# Flags of a training run that a few-shot or zero-shot build does not read.
_TRAINING_ONLY = ("epochs", "batch_size", "lr", "augment", "device", "image_size", "seed", "config", "resume",
                  "from_run", "map_class", "label_sets", "unlabelled", "adapt")


def _ignored_flags(args) -> list[str]:
    """The training-only flags given other values than their defaults (add_arguments' own)."""
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    add_arguments(parser)
    return ["--" + name.replace("_", "-") for name in _TRAINING_ONLY
            if getattr(args, name, parser.get_default(name)) != parser.get_default(name)]


def _fewshot(args) -> int:
    from core.fewshot import fewshot_run  # torch: here, not when the CLI starts

    result = _build(args, fewshot_run)
    if result is None:
        return 0
    d = result.details
    counts = ", ".join(f"{c} {n}" for c, n in zip(d["class_names"], d["examples_per_class"]))
    acc = result.metrics.get("val_acc")
    score = f"; leave-one-out accuracy {acc:.1%}" if acc is not None else ""
    if len(d["class_names"]) == 1:
        score = f"; one class: it names every file '{d['class_names'][0]}' (no accuracy to measure)"
    print(f"Few-shot model {result.run_id} from {counts} example(s) in {result.seconds:.1f}s{score}.")
    print(f"  export it: transferlab export {args.dir} model.onnx --run {result.run_id}")
    return 0


def _zeroshot(args) -> int:
    from core.zeroshot import zeroshot_run  # torch: here, not when the CLI starts

    result = _build(args, zeroshot_run)
    if result is None:
        return 0
    d = result.details
    print(f"Zero-shot model {result.run_id}: {len(d['attributes'])} attribute detectors trained on "
          f"{', '.join(d['classes_with_examples'])} in {result.seconds:.1f}s.")
    if d["classes_by_description_only"]:
        print(f"  recognises by description alone: {', '.join(d['classes_by_description_only'])}")
    if d["attributes_never_varied"]:
        print(f"  cannot learn (every class with examples has it, or none does): "
              f"{', '.join(d['attributes_never_varied'])}")
    print(f"  export it: transferlab export {args.dir} model.onnx --run {result.run_id}")
    return 0
