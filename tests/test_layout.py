"""The package layout reads as the data's path: stages import only what they may."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "microexp_tui"

FORBIDDEN_IMPORTS = {
    # stage folder: modules it must never import
    "dsp": ("microexp_tui.device", "microexp_tui.store", "textual", "tensorflow"),
    "inference": ("microexp_tui.device", "microexp_tui.store", "textual", "tensorflow"),
    "device": ("microexp_tui.store", "microexp_tui.acquisition", "textual", "tensorflow"),
    "store": ("microexp_tui.acquisition", "textual", "tensorflow"),
    "acquisition": ("textual", "tensorflow"),
    "session_flow": ("textual", "tensorflow"),
    "export": ("textual", "tensorflow", "microexp_tui.acquisition"),
    "expressions": (
        "microexp_tui.device",
        "microexp_tui.store",
        "microexp_tui.acquisition",
        "textual",
        "tensorflow",
    ),
    "analysis": ("textual", "tensorflow", "microexp_tui.device"),
    "report": ("textual", "tensorflow", "microexp_tui.acquisition", "microexp_tui.device"),
}


def imported_modules(path: Path) -> set[str]:
    """Absolute module names a source file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("stage", sorted(FORBIDDEN_IMPORTS))
def test_stage_imports_stay_in_their_lane(stage: str) -> None:
    offenders = []
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        for name in imported_modules(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IMPORTS[stage]):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_only_tui_imports_textual_and_only_training_imports_tensorflow() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        top = path.relative_to(PACKAGE).parts[0]
        for name in imported_modules(path):
            root = name.split(".")[0]
            if root == "textual" and top != "tui":
                offenders.append(f"{path.relative_to(PACKAGE)} imports textual")
            if root in ("tensorflow", "keras", "tf2onnx") and top != "training":
                offenders.append(f"{path.relative_to(PACKAGE)} imports {root}")
    assert offenders == []


def test_headless_commands_do_not_load_textual() -> None:
    code = (
        "import sys, microexp_tui.cli, microexp_tui.session_flow.headless;"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
