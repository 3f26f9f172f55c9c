"""``dualcarbon alerts evaluate|list|budget|forecast`` and ``dualcarbon upload run|status`` (SQLite + Parquet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dualcarbon.app.cli import app

from .receivers import http_receiver
from .test_evaluate import DAY, plant

runner = CliRunner()


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_alerts_and_upload_from_the_command_line(world: Any, tmp_path: Path, admin, reference) -> None:
    data_dir = str(Path(world.url.split("///", 1)[1]).parent)
    plant(world, tmp_path, admin, reference)
    bad = runner.invoke(app, ["alerts", "evaluate", "--date", "29.03.2024", "--data-dir", data_dir])
    assert bad.exit_code == 2 and "--date: '29.03.2024' is not a date" in bad.output
    done = runner.invoke(app, ["alerts", "evaluate", "--date", DAY.isoformat(), "--data-dir", data_dir])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["by_source"] == {"anomaly": 2}
    listed = runner.invoke(app, ["alerts", "list", "--state", "open", "--data-dir", data_dir])
    body = json.loads(listed.stdout)
    assert body["total"] == 2 and {i["detail"]["meter"] for i in body["items"]} == {"M", "S1"}
    wrong = runner.invoke(app, ["alerts", "list", "--level", "purple", "--data-dir", data_dir])
    assert wrong.exit_code == 2 and "level" in wrong.output

    code = world.codes["a"]
    budget = runner.invoke(
        app, ["alerts", "budget", "set", "--enterprise", code, "--year", "2025", "--tce", "24", "--data-dir", data_dir]
    )
    assert budget.exit_code == 0, budget.output
    assert json.loads(budget.stdout)["monthly_budget_tce"] == [2.0] * 12  # no 2024 Jan–Dec profile: twelfths
    forecast = runner.invoke(
        app, ["alerts", "forecast", "--id", code, "--year", "2024", "--as-of", "2024-04-01", "--data-dir", data_dir]
    )
    assert forecast.exit_code == 0, forecast.output
    # no 2023 history: the mean of the complete months with data (February, March) fills the other months
    result = json.loads(forecast.stdout)
    assert result["tce"]["method"] == "run_rate" and result["complete_months"] == 3

    with http_receiver() as receiver:
        (Path(data_dir) / "upload.yaml").write_text(
            f"endpoints:\n  - {{name: province, url: '{receiver.url}'}}\n", encoding="utf-8"
        )
        run = runner.invoke(app, ["upload", "run", "--date", DAY.isoformat(), "--data-dir", data_dir])
        assert run.exit_code == 0, run.output
        assert json.loads(run.stdout) == {"built": 4, "sent": 4, "acknowledged": 4, "retried": 0, "pruned": 0}
    status = runner.invoke(app, ["upload", "status", "--data-dir", data_dir])
    assert json.loads(status.stdout)[0] | {"oldest_pending": None} == {
        "endpoint": "province",
        "pending": 0,
        "acknowledged": 4,
        "oldest_pending": None,
        "last_error": None,
    }
