"""project.toml: the human-readable settings of a project.

Only settings live here (name, task, audio sample rate, split settings); samples, classes and
labels live in project.db so that every label or class change is one SQLite transaction.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from core import __version__
from core.atomic import atomic_write_text
from core.errors import ProjectError

TASKS = ("image", "audio", "text")
DEFAULT_SAMPLE_RATE = 16000


@dataclass(frozen=True)
class SplitSettings:
    seed: int = 0
    val: float = 0.1
    test: float = 0.1
    # The test split takes none of a class's first test_after labelled samples: they all learn (a new
    # project: core.project.splits.TEST_AFTER; 0, as projects made before it, from the first)
    test_after: int = 0

    def __post_init__(self):
        for name, share in (("validation", self.val), ("test", self.test)):
            if not 0 <= share < 1:  # -0.1 was told to "leave room for training data"
                raise ProjectError(f"The {name} share must be from 0 to under 1 (a fraction of the samples), "
                                   f"not {share}.")
        if not isinstance(self.test_after, int) or isinstance(self.test_after, bool) or self.test_after < 0:
            raise ProjectError(f"The number of a class's samples kept out of the test split must be a whole number "
                               f"of at least 0, not {self.test_after!r}.")
        if self.val + self.test >= 1:
            raise ProjectError(
                f"Split fractions must leave room for training data (val={self.val}, test={self.test})."
            )

    @property
    def fractions(self) -> dict[str, float]:
        return {"train": 1.0 - self.val - self.test, "val": self.val, "test": self.test}


@dataclass(frozen=True)
class ProjectConfig:
    name: str
    task: str
    schema_version: int
    created: str
    app_version: str = __version__
    sample_rate: int = DEFAULT_SAMPLE_RATE
    splits: SplitSettings = field(default_factory=SplitSettings)

    def with_changes(self, **changes) -> "ProjectConfig":
        return replace(self, **changes)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def dump(config: ProjectConfig) -> str:
    data = asdict(config)
    splits = data.pop("splits")
    sample_rate = data.pop("sample_rate")
    lines = ["# TransferLab project settings. Samples, classes and labels live in project.db.", ""]
    lines += [f"{key} = {_toml_value(data[key])}" for key in ("schema_version", "name", "task", "created", "app_version")]
    lines += ["", "[audio]", f"sample_rate = {sample_rate}", "", "[splits]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in splits.items()]
    return "\n".join(lines) + "\n"


def save(path: Path, config: ProjectConfig) -> None:
    atomic_write_text(path, dump(config))


def load(path: Path) -> ProjectConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"'{path.parent}' is not a TransferLab project (no project.toml).") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path} cannot be read: {exc}") from None
    try:
        task = data["task"]
        if task not in TASKS:
            raise ProjectError(f"{path}: task must be one of {', '.join(TASKS)}, not '{task}'.")
        splits = SplitSettings(**{k: v for k, v in data.get("splits", {}).items()
                                  if k in ("seed", "val", "test", "test_after")})
        return ProjectConfig(
            name=str(data.get("name") or path.parent.name),
            task=task,
            schema_version=int(data.get("schema_version", 1)),
            created=str(data.get("created", "")),
            app_version=str(data.get("app_version", __version__)),
            sample_rate=int(data.get("audio", {}).get("sample_rate", DEFAULT_SAMPLE_RATE)),
            splits=splits,
        )
    except KeyError as exc:
        raise ProjectError(f"{path} is missing the setting {exc}.") from None
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"{path} has an invalid setting: {exc}") from None
