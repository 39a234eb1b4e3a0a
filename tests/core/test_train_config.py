"""TrainConfig: JSON round trip, validation sentences, mode defaults, auto's choices and schedules."""

import pytest

from core.train import ConfigError, TrainConfig
from core.train.auto_mode import choose_mode
from core.train.model import lr_factor


def test_round_trips_through_json():
    config = TrainConfig(backbone="resnet18", mode="finetune", epochs=7, lr=2e-4, augment="strong",
                         balance="sampler", device="cuda:1", precision="bf16", image_size=160, seed=3)
    assert TrainConfig.from_json(config.to_json()) == config
    assert TrainConfig.from_dict(TrainConfig().to_dict()) == TrainConfig()


@pytest.mark.parametrize("changes, words", [
    ({"mode": "magic"}, "mode must be one of auto, probe, finetune, full, not 'magic'"),
    ({"epochs": 0}, "epochs must be a whole number of at least 1"),
    ({"device": "gpu"}, "device must be auto, cpu, cuda, cuda:N or mps"),
    ({"lr": -1.0}, "lr must be a number of at least 0"),
    ({"label_smoothing": 1.5}, "label_smoothing must be at least 0 and below 1"),
    ({"batch_size": 2.5}, "batch_size must be a whole number"),
    ({"unlabelled": "maybe"}, "unlabelled must be one of use, ignore, not 'maybe'"),
    ({"image_size": 100000}, "image_size must be at most 2048, not 100000"),  # it asked the CPU for 120 GB
])
def test_invalid_settings_are_named(changes, words):
    with pytest.raises(ConfigError, match="Invalid training settings") as info:
        TrainConfig(**changes)
    assert words in str(info.value)


def test_unlabelled_samples_are_used_by_default_but_not_by_runs_saved_before():
    assert TrainConfig().unlabelled == "use"
    assert TrainConfig.from_dict(TrainConfig(unlabelled="ignore").to_dict()).unlabelled == "ignore"
    saved = TrainConfig().to_dict()
    del saved["unlabelled"]  # a run saved before the setting existed learnt from its labelled samples alone
    assert TrainConfig.restored(saved).unlabelled == "ignore"
    assert TrainConfig.restored(TrainConfig().to_dict()).unlabelled == "use"
    assert TrainConfig.from_dict(saved).unlabelled == "use"  # a settings file: today's default for what it leaves out


def test_the_command_line_sets_unlabelled():
    import argparse

    from core.cli import cmd_train

    parser = argparse.ArgumentParser()
    cmd_train.add_arguments(parser)
    assert cmd_train._config(parser.parse_args(["proj", "--unlabelled", "ignore"])).unlabelled == "ignore"
    assert cmd_train._config(parser.parse_args(["proj"])).unlabelled == "use"
    with pytest.raises(SystemExit):
        parser.parse_args(["proj", "--unlabelled", "sometimes"])


def test_unknown_settings_and_bad_json_are_sentences():
    with pytest.raises(ConfigError, match="Unknown training settings: colour"):
        TrainConfig.from_dict({"colour": "red"})
    with pytest.raises(ConfigError, match="not valid JSON"):
        TrainConfig.from_json("{epochs: 3")


def test_mode_defaults_fill_only_what_is_unset():
    c = TrainConfig(epochs=3).with_mode_defaults("finetune")
    assert (c.mode, c.epochs, c.lr, c.patience) == ("finetune", 3, 1e-3, 4)
    probe = TrainConfig().with_mode_defaults("probe")  # solved, not trained by epochs
    assert (probe.epochs, probe.patience) == (1, 0)


def test_auto_mode_rules():
    assert choose_mode([20, 30], 400_000_000, "cuda")[0] == "probe"
    assert choose_mode([400, 500], 400_000_000, "cuda")[0] == "finetune"
    assert choose_mode([2000, 3000], 400_000_000, "cuda")[0] == "full"
    mode, why = choose_mode([5000, 5000], 4_000_000_000, "cpu")
    assert mode == "probe" and "minutes per epoch" in why
    assert choose_mode([100, 100], 50_000_000, "cpu")[0] == "probe"  # below 300 a class: the solved probe
    assert choose_mode([299, 400], 50_000_000, "cuda")[0] == "probe"
    assert choose_mode([400, 400], 50_000_000, "cpu")[0] == "finetune"
    # text: the probe at every size measured (fine-tuning never beat it on the text suite)
    mode, why = choose_mode([5000, 5000], 2_000_000_000, "cuda", "text")
    assert mode == "probe" and "did not beat the probe" in why and "5000 training texts" in why


def test_text_mode_defaults():
    c = TrainConfig().with_mode_defaults("finetune", "text")
    assert (c.epochs, c.lr, c.patience) == (8, 1e-3, 3)
    assert TrainConfig().with_mode_defaults("finetune", "image").epochs == 12


@pytest.mark.parametrize("schedule", ["onecycle", "cosine"])
def test_schedules_warm_up_peak_and_decay(schedule):
    values = [lr_factor(schedule, p / 100) for p in range(101)]
    peak = max(values)
    assert peak == pytest.approx(1.0, abs=0.02)
    assert values[0] < 0.1 and values[-1] < 1e-3
    top = values.index(peak)
    assert all(a >= b - 1e-12 for a, b in zip(values[top:], values[top + 1:]))
