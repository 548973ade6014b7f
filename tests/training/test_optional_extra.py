"""Without the `train` extra: a clear message for `train`, and nothing else needs TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from microexp_tui.errors import ExitCode

MODELS = Path(__file__).resolve().parents[2] / "models"


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_train_without_tensorflow_says_how_to_install_it(tmp_path: Path, seed_dir: Path) -> None:
    code = (
        "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
        "from microexp_tui.cli import main\n"
        f"raise SystemExit(main(['train', '--dataset', {str(seed_dir)!r}, '--arch', 'cnn', "
        f"'--input', 'window', '--protocol', 'split', '--out', {str(tmp_path)!r}]))"
    )
    result = _python(code)
    assert result.returncode == ExitCode.MODEL, result.stderr
    assert 'pip install -e ".[train]"' in result.stderr and "Traceback" not in result.stderr


def test_record_evaluate_and_live_inference_never_import_tensorflow(seed_dir: Path) -> None:
    code = (
        "import sys, json, io, contextlib\n"
        "import microexp_tui.cli, microexp_tui.session_flow.headless\n"
        "import microexp_tui.acquisition.recorder, microexp_tui.inference.live\n"
        "from microexp_tui.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = main(['evaluate', '--model', {str(MODELS / 'cnn_window.onnx')!r}, "
        f"'--dataset', {str(seed_dir)!r}, '--participants', 'subject_13'])\n"
        "report = json.loads(out.getvalue())\n"
        "print(code, report['metrics']['accuracy'] > 0.99,"
        " [m for m in ('tensorflow', 'keras', 'tf2onnx') if m in sys.modules])"
    )
    result = _python(code)
    assert result.stdout.strip() == "0 True []", result.stderr
